//===- compiler.cpp - the attn compiler C API -----------------------------===//
//
// attn_compile runs the attn-compile pass in process on a spec parsed from
// memory. The pass writes its bundle to `output`, so the C API points that at
// a file in a private temporary directory (mkdtemp, mode 0700), reads the
// bytes back and removes both; nothing else of the pipeline differs from
// attn-opt's.
//
//===----------------------------------------------------------------------===//
#include "attn/compiler.h"

#include "attn/Dialect/AttnDialect.h"
#include "attn/Compiler/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <mutex>
#include <new>
#include <string>
#include <unistd.h>
#include <vector>

struct attn_compilation {
  std::vector<char> bundle;
  std::string diagnostics;
};

namespace {
constexpr const char *kVersion = "0.1";

/// The GNU build id of the object holding this function, as hex; "" when
/// the linker wrote none.
std::string ownBuildId() {
  struct Search {
    uintptr_t address;
    std::string id;
  } search{reinterpret_cast<uintptr_t>(&ownBuildId), ""};
  dl_iterate_phdr(
      [](dl_phdr_info *info, size_t, void *data) -> int {
        auto *search = static_cast<Search *>(data);
        bool ours = false;
        for (int i = 0; i < info->dlpi_phnum && !ours; ++i) {
          const ElfW(Phdr) &segment = info->dlpi_phdr[i];
          uintptr_t begin = info->dlpi_addr + segment.p_vaddr;
          ours = segment.p_type == PT_LOAD && search->address >= begin &&
                 search->address < begin + segment.p_memsz;
        }
        if (!ours)
          return 0;
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const ElfW(Phdr) &segment = info->dlpi_phdr[i];
          if (segment.p_type != PT_NOTE)
            continue;
          const char *note =
              reinterpret_cast<const char *>(info->dlpi_addr + segment.p_vaddr);
          const char *end = note + segment.p_memsz;
          while (note + sizeof(ElfW(Nhdr)) <= end) {
            const auto *header = reinterpret_cast<const ElfW(Nhdr) *>(note);
            const char *name = note + sizeof(ElfW(Nhdr));
            const char *desc = name + ((header->n_namesz + 3) & ~3u);
            if (header->n_type == NT_GNU_BUILD_ID && header->n_namesz == 4 &&
                std::string(name, 3) == "GNU" &&
                desc + header->n_descsz <= end) {
              search->id = llvm::toHex(
                  llvm::StringRef(desc, header->n_descsz), /*LowerCase=*/true);
              return 1;
            }
            note = desc + ((header->n_descsz + 3) & ~3u);
          }
        }
        return 1;
      },
      &search);
  return search.id;
}

/// The keys of a pass option string ("a=1 b={x y} c"), following MLIR's
/// syntax: values may be quoted or braced and then hold spaces.
std::vector<std::string> optionKeys(llvm::StringRef options) {
  std::vector<std::string> keys;
  size_t i = 0, n = options.size();
  while (i < n) {
    while (i < n && llvm::isSpace(options[i]))
      ++i;
    size_t start = i;
    while (i < n && options[i] != '=' && !llvm::isSpace(options[i]))
      ++i;
    if (i > start)
      keys.push_back(options.slice(start, i).str());
    if (i >= n || options[i] != '=')
      continue;
    ++i;
    int depth = 0;
    char quote = 0;
    for (; i < n; ++i) {
      char c = options[i];
      if (quote) {
        if (c == quote)
          quote = 0;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '{') {
        ++depth;
      } else if (c == '}') {
        --depth;
      } else if (depth <= 0 && llvm::isSpace(c)) {
        break;
      }
    }
  }
  return keys;
}

/// A private directory for the pass's output file, removed with what is in
/// it when this goes out of scope.
class TemporaryDirectory {
public:
  bool create(std::string &error) {
    const char *base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base && *base ? base : "/tmp") + "/attn-compile-XXXXXX";
    if (pattern.find('"') != std::string::npos) {
      error = "the temporary directory '" + pattern +
              "' holds a '\"', which pass options cannot quote; set TMPDIR";
      return false;
    }
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (!mkdtemp(buffer.data())) {
      error = "cannot create a temporary directory '" + pattern +
              "': " + std::strerror(errno) + " (set TMPDIR)";
      return false;
    }
    path = buffer.data();
    return true;
  }
  std::string file(const char *name) const { return path + "/" + name; }
  ~TemporaryDirectory() {
    if (path.empty())
      return;
    unlink(file("bundle.atnb").c_str());
    rmdir(path.c_str());
  }

private:
  std::string path;
};

attn_compile_status compile(llvm::StringRef spec, llvm::StringRef options,
                            llvm::StringRef name, attn_compilation &result) {
  llvm::raw_string_ostream diagnostics(result.diagnostics);
  for (const std::string &key : optionKeys(options)) {
    if (key == "output" || key == "emit" || key == "report-resources") {
      diagnostics << "error: option '" << key
                  << "' is attn-opt's: the C API returns the bundle itself\n";
      return ATTN_COMPILE_INVALID_ARGUMENT;
    }
  }
  TemporaryDirectory directory;
  std::string error;
  if (!directory.create(error)) {
    diagnostics << "error: " << error << "\n";
    return ATTN_COMPILE_IO_ERROR;
  }
  std::string output = directory.file("bundle.atnb");

  mlir::DialectRegistry registry;
  registry.insert<mlir::attn::AttnDialect, mlir::arith::ArithDialect,
                  mlir::func::FuncDialect, mlir::math::MathDialect,
                  mlir::tensor::TensorDialect>();
  mlir::MLIRContext context(registry, mlir::MLIRContext::Threading::DISABLED);
  llvm::SourceMgr sources;
  sources.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(spec, name), llvm::SMLoc());
  mlir::SourceMgrDiagnosticHandler handler(sources, &context, diagnostics);

  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceFile<mlir::ModuleOp>(sources, &context);
  if (!module)
    return ATTN_COMPILE_FAILED;

  std::unique_ptr<mlir::Pass> pass = mlir::attn::createAttnCompile();
  auto optionError = [&](const llvm::Twine &message) {
    diagnostics << "error: attn-compile options: " << message << "\n";
    return mlir::failure();
  };
  if (mlir::failed(pass->initializeOptions(options, optionError)) ||
      mlir::failed(pass->initializeOptions("output=\"" + output + "\"",
                                           optionError)))
    return ATTN_COMPILE_FAILED;
  mlir::PassManager manager(&context);
  manager.addPass(std::move(pass));
  if (mlir::failed(manager.run(*module)))
    return ATTN_COMPILE_FAILED;

  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> bytes =
      llvm::MemoryBuffer::getFile(output, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!bytes) {
    diagnostics << "error: cannot read the compiled bundle '" << output
                << "': " << bytes.getError().message() << "\n";
    return ATTN_COMPILE_IO_ERROR;
  }
  result.bundle.assign((*bytes)->getBufferStart(), (*bytes)->getBufferEnd());
  return ATTN_COMPILE_OK;
}
} // namespace

extern "C" {

const char *attn_compiler_version(void) {
  static std::string version;
  static std::once_flag once;
  std::call_once(once, [] {
    std::string id = ownBuildId();
    version = std::string("attn-compiler ") + kVersion + " (build " +
              (id.empty() ? "unknown" : id) + ")";
  });
  return version.c_str();
}

attn_compile_status attn_compile(const char *spec, size_t spec_size,
                                 const char *options, const char *name,
                                 attn_compilation **out) {
  if (!out)
    return ATTN_COMPILE_INVALID_ARGUMENT;
  *out = new (std::nothrow) attn_compilation();
  if (!*out)
    return ATTN_COMPILE_IO_ERROR;
  if (!spec || !options) {
    (*out)->diagnostics = std::string("error: attn_compile: ") +
                          (spec ? "options" : "spec") + " is NULL\n";
    return ATTN_COMPILE_INVALID_ARGUMENT;
  }
  // LLVM is built without exceptions: nothing here throws across the API.
  return compile(llvm::StringRef(spec, spec_size), options,
                 name ? name : "spec", **out);
}

const char *attn_compiler_host_cpu(void) {
  static std::string cpu;
  static std::once_flag once;
  std::call_once(once, [] {
    std::vector<std::string> features;
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      if (feature.getValue())
        features.push_back(feature.getKey().str());
    llvm::sort(features);
    cpu = llvm::sys::getHostCPUName().str() + " " + llvm::join(features, ",");
  });
  return cpu.c_str();
}

const void *attn_compilation_bundle(const attn_compilation *c, size_t *size) {
  bool ok = c && !c->bundle.empty();
  if (size)
    *size = ok ? c->bundle.size() : 0;
  return ok ? c->bundle.data() : nullptr;
}

const char *attn_compilation_diagnostics(const attn_compilation *c) {
  return c ? c->diagnostics.c_str() : "";
}

void attn_compilation_free(attn_compilation *c) { delete c; }

} // extern "C"
