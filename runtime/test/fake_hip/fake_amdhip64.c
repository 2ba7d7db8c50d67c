/* A stand-in for libamdhip64.so: the HIP entry points the attn runtime opens,
 * recording what they are called with, so the HIP path is tested without an
 * AMD GPU. "Device memory" is host memory. Built once per configuration
 * (FAKE_HIP_ARCH: the device's gcnArchName; FAKE_HIP_INIT_ERROR: what hipInit
 * returns), since the runtime keeps a loaded HIP runtime and its devices for
 * the life of the process. The tests read the records through fake_hip_*. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef FAKE_HIP_ARCH
#define FAKE_HIP_ARCH "gfx942:sramecc+:xnack-"
#endif
#ifndef FAKE_HIP_INIT_ERROR
#define FAKE_HIP_INIT_ERROR 0
#endif

#define EXPORT __attribute__((visibility("default")))

typedef int hipError_t;
enum { kSuccess = 0, kInvalidValue = 1, kNoDevice = 100, kInvalidDevice = 101,
       kNotFound = 500 };

/* What the tests read. */
struct fake_hip_launch {
  char function[64];
  unsigned grid[3], block[3], shared;
  void *stream;
  uint64_t params[64]; /* the first `param_count` kernelParams, 8 bytes each */
};

static int g_device_count = 1;
static int g_current = 0;
static int g_loads, g_unloads, g_launches, g_frees, g_mallocs;
static unsigned char g_image[16];
static int g_param_count;
static struct fake_hip_launch g_last;

struct module { int id; };
struct function { char name[64]; };

EXPORT void fake_hip_expect_params(int count) { g_param_count = count; }
EXPORT int fake_hip_count(const char *what) {
  if (!strcmp(what, "load")) return g_loads;
  if (!strcmp(what, "unload")) return g_unloads;
  if (!strcmp(what, "launch")) return g_launches;
  if (!strcmp(what, "malloc")) return g_mallocs;
  if (!strcmp(what, "free")) return g_frees;
  return -1;
}
EXPORT const unsigned char *fake_hip_loaded_image(void) { return g_image; }
EXPORT const struct fake_hip_launch *fake_hip_last_launch(void) { return &g_last; }

EXPORT hipError_t hipInit(unsigned flags) {
  (void)flags;
  return FAKE_HIP_INIT_ERROR;
}
EXPORT hipError_t hipGetDeviceCount(int *count) {
  *count = g_device_count;
  return kSuccess;
}
EXPORT hipError_t hipGetDevice(int *device) {
  *device = g_current;
  return kSuccess;
}
EXPORT hipError_t hipSetDevice(int device) {
  if (device < 0 || device >= g_device_count) return kInvalidDevice;
  g_current = device;
  return kSuccess;
}
/* The ROCm 6 layout: the name first, gcnArchName much later. Only the
 * architecture name's form matters to the runtime. */
EXPORT hipError_t hipGetDevicePropertiesR0600(void *properties, int device) {
  if (device < 0 || device >= g_device_count) return kInvalidDevice;
  char *p = (char *)properties;
  strcpy(p, "AMD Stand-in Accelerator");
  strcpy(p + 1160, FAKE_HIP_ARCH);
  return kSuccess;
}
EXPORT hipError_t hipModuleLoadData(struct module **module, const void *image) {
  memcpy(g_image, image, sizeof g_image);
  *module = malloc(sizeof **module);
  ++g_loads;
  return kSuccess;
}
EXPORT hipError_t hipModuleUnload(struct module *module) {
  free(module);
  ++g_unloads;
  return kSuccess;
}
EXPORT hipError_t hipModuleGetFunction(struct function **function, struct module *module,
                                       const char *name) {
  (void)module;
  if (!strcmp(name, "missing")) return kNotFound;
  static struct function functions[16];
  static int used;
  struct function *f = &functions[used++ % 16];
  strncpy(f->name, name, sizeof f->name - 1);
  *function = f;
  return kSuccess;
}
EXPORT hipError_t hipModuleLaunchKernel(struct function *f, unsigned gx, unsigned gy,
                                        unsigned gz, unsigned bx, unsigned by, unsigned bz,
                                        unsigned shared, void *stream, void **params,
                                        void **extra) {
  if (extra) return kInvalidValue;
  memset(&g_last, 0, sizeof g_last);
  strncpy(g_last.function, f->name, sizeof g_last.function - 1);
  g_last.grid[0] = gx, g_last.grid[1] = gy, g_last.grid[2] = gz;
  g_last.block[0] = bx, g_last.block[1] = by, g_last.block[2] = bz;
  g_last.shared = shared;
  g_last.stream = stream;
  for (int i = 0; i < g_param_count && i < 64; ++i) memcpy(&g_last.params[i], params[i], 8);
  ++g_launches;
  return kSuccess;
}
EXPORT const char *hipGetErrorName(hipError_t e) {
  switch (e) {
  case kSuccess: return "hipSuccess";
  case kNoDevice: return "hipErrorNoDevice";
  case kNotFound: return "hipErrorNotFound";
  default: return "hipErrorUnknown";
  }
}
EXPORT const char *hipGetErrorString(hipError_t e) {
  return e == kNoDevice ? "no ROCm-capable device is detected" : "stand-in error";
}
EXPORT hipError_t hipMalloc(void **pointer, size_t bytes) {
  *pointer = aligned_alloc(256, (bytes + 255) / 256 * 256);
  ++g_mallocs;
  return *pointer ? kSuccess : kInvalidValue;
}
EXPORT hipError_t hipFree(void *pointer) {
  free(pointer);
  ++g_frees;
  return kSuccess;
}
EXPORT hipError_t hipMemcpy(void *to, const void *from, size_t bytes, int kind) {
  (void)kind;
  memcpy(to, from, bytes);
  return kSuccess;
}
EXPORT hipError_t hipDeviceSynchronize(void) { return kSuccess; }
EXPORT hipError_t hipEventCreate(void **event) {
  *event = malloc(1);
  return kSuccess;
}
EXPORT hipError_t hipEventDestroy(void *event) {
  free(event);
  return kSuccess;
}
EXPORT hipError_t hipEventRecord(void *event, void *stream) {
  (void)event, (void)stream;
  return kSuccess;
}
EXPORT hipError_t hipEventSynchronize(void *event) {
  (void)event;
  return kSuccess;
}
EXPORT hipError_t hipEventElapsedTime(float *ms, void *start, void *stop) {
  (void)start, (void)stop;
  *ms = 1.0f;
  return kSuccess;
}
