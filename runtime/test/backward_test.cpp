// The C++ header's backward call (Bundle::backward, launchBackward) and its
// key-summary preparation (mask-prep=kernel bundles) on real
// kernels: kernels/backward.mlir compiled by attn-opt at build time for the
// host with grad=true (and once without, and once with mask-prep=kernel).
// Random inputs at ragged sizes,
// poisoned outputs, gradients compared with a float64 reference written
// here from the attention formulas (independent of the compiler).
#include "attn/runtime.hpp"
#include "test_util.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <random>

using namespace attn::test;

namespace {

uint16_t toBf16(float value) { // round to nearest even (finite values)
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  return uint16_t((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
}
float fromBf16(uint16_t bits) {
  uint32_t wide = uint32_t(bits) << 16;
  float value;
  std::memcpy(&value, &wide, 4);
  return value;
}

// A host tensor of f32 or bf16 elements (bf16 stored as bits), row-major.
struct HostTensor {
  bool bf16 = false;
  std::vector<int64_t> shape;
  std::vector<float> f32;
  std::vector<uint16_t> bits;
  Tensor view;

  HostTensor(std::vector<int64_t> shape_, bool bf16_)
      : bf16(bf16_), shape(shape_), view(nullptr, bf16_ ? kBF16 : kF32, shape_) {
    size_t n = 1;
    for (int64_t e : shape) n *= size_t(e);
    if (bf16) bits.resize(n);
    else f32.resize(n);
    view.t.data = bf16 ? static_cast<void *>(bits.data()) : static_cast<void *>(f32.data());
  }
  size_t size() const { return bf16 ? bits.size() : f32.size(); }
  double at(size_t i) const { return bf16 ? fromBf16(bits[i]) : f32[i]; }
  void set(size_t i, float value) {
    if (bf16) bits[i] = toBf16(value);
    else f32[i] = value;
  }
  void fillRandom(std::mt19937 &rng) {
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (size_t i = 0; i < size(); ++i) set(i, dist(rng));
  }
  void poison() {
    for (size_t i = 0; i < size(); ++i) set(i, std::numeric_limits<float>::quiet_NaN());
    if (bf16) std::fill(bits.begin(), bits.end(), uint16_t(0x7FC0));
  }
  std::vector<double> values() const {
    std::vector<double> out(size());
    for (size_t i = 0; i < size(); ++i) out[i] = at(i);
    return out;
  }
  const DLTensor *get() const { return view.get(); }
};

std::vector<double> valuesOf(const DLTensor *t) {
  size_t n = 1;
  for (int d = 0; d < t->ndim; ++d) n *= size_t(t->shape[d]);
  std::vector<double> out(n);
  for (size_t i = 0; i < n; ++i)
    out[i] = t->dtype.code == kDLBfloat ? fromBf16(static_cast<const uint16_t *>(t->data)[i])
                                        : static_cast<const float *>(t->data)[i];
  return out;
}

double relErr(const std::vector<double> &got, const std::vector<double> &want) {
  EXPECT_EQ(got.size(), want.size());
  double diff = 0, norm = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(got[i])) return std::numeric_limits<double>::infinity();
    diff += (got[i] - want[i]) * (got[i] - want[i]);
    norm += want[i] * want[i];
  }
  return std::sqrt(diff / norm);
}

// One spec of kernels/backward.mlir and the sizes it is run at.
struct Case {
  std::string name;
  int64_t B, Hq, Hkv, Sq, Skv, E, F;
  bool bf16 = false;
  double scale = 0;   // 0: 1/sqrt(E)
  double softcap = 0; // 0: none
  std::function<bool(int64_t b, int64_t i, int64_t j)> keep;
  std::vector<int32_t> ids; // documents: [B, Sq] ids, a data operand
  bool bias = false;        // a [1, Hq, Sq, Skv] bias added to the scores (data0)
};

struct Reference {
  std::vector<double> o, dq, dk, dv;
  std::vector<double> dbias; // [B, Hq, Sq, Skv]
};

// Float64 forward and backward: S = scale Q K^T + bias (soft-capped: c
// tanh(S/c)), masked; P = softmax(S); O = P V; dV = P^T dO; dP = dO V^T;
// dS = P (dP - rowsum(dO O)) (times 1 - tanh^2 under the soft-cap), which is
// dBias; dQ = scale dS K; dK = scale dS^T Q, summed over each group's query
// heads.
Reference reference(const Case &c, const std::vector<double> &q, const std::vector<double> &k,
                    const std::vector<double> &v, const std::vector<double> &dO,
                    const std::vector<double> &bias) {
  Reference r;
  if (c.bias) r.dbias.assign(size_t(c.B * c.Hq * c.Sq * c.Skv), 0);
  r.o.assign(size_t(c.B * c.Hq * c.Sq * c.F), 0);
  r.dq.assign(size_t(c.B * c.Hq * c.Sq * c.E), 0);
  r.dk.assign(size_t(c.B * c.Hkv * c.Skv * c.E), 0);
  r.dv.assign(size_t(c.B * c.Hkv * c.Skv * c.F), 0);
  double scale = c.scale ? c.scale : 1 / std::sqrt(double(c.E));
  int64_t group = c.Hq / c.Hkv;
  std::vector<double> s(size_t(c.Skv)), t(size_t(c.Skv)), p(size_t(c.Skv));
  for (int64_t b = 0; b < c.B; ++b)
    for (int64_t h = 0; h < c.Hq; ++h) {
      int64_t g = h / group;
      // Row-major offsets of q/dq, o/dO, k/dk and v/dv elements.
      int64_t qRow = (b * c.Hq + h) * c.Sq, kvRow = (b * c.Hkv + g) * c.Skv;
      auto Q = [&](int64_t i, int64_t e) { return size_t((qRow + i) * c.E + e); };
      auto O = [&](int64_t i, int64_t f) { return size_t((qRow + i) * c.F + f); };
      auto K = [&](int64_t j, int64_t e) { return size_t((kvRow + j) * c.E + e); };
      auto V = [&](int64_t j, int64_t f) { return size_t((kvRow + j) * c.F + f); };
      for (int64_t i = 0; i < c.Sq; ++i) {
        double m = -INFINITY;
        for (int64_t j = 0; j < c.Skv; ++j) {
          double dot = 0;
          for (int64_t e = 0; e < c.E; ++e) dot += q[Q(i, e)] * k[K(j, e)];
          s[j] = scale * dot;
          if (c.bias) s[j] += bias[size_t((h * c.Sq + i) * c.Skv + j)];
          if (c.softcap) {
            t[j] = std::tanh(s[j] / c.softcap);
            s[j] = c.softcap * t[j];
          }
          if (!c.keep(b, i, j)) s[j] = -INFINITY;
          m = std::max(m, s[j]);
        }
        EXPECT_TRUE(std::isfinite(m)) << c.name << ": row " << i << " keeps no key";
        double sum = 0;
        for (int64_t j = 0; j < c.Skv; ++j) sum += p[j] = std::exp(s[j] - m);
        for (int64_t j = 0; j < c.Skv; ++j) p[j] /= sum;
        double rowD = 0;
        for (int64_t f = 0; f < c.F; ++f) {
          double acc = 0;
          for (int64_t j = 0; j < c.Skv; ++j) acc += p[j] * v[V(j, f)];
          r.o[O(i, f)] = acc;
          rowD += dO[O(i, f)] * acc;
        }
        for (int64_t j = 0; j < c.Skv; ++j) {
          if (p[j] == 0) continue;
          double dp = 0;
          for (int64_t f = 0; f < c.F; ++f) {
            dp += dO[O(i, f)] * v[V(j, f)];
            r.dv[V(j, f)] += p[j] * dO[O(i, f)];
          }
          double dScore = p[j] * (dp - rowD) * (c.softcap ? 1 - t[j] * t[j] : 1);
          if (c.bias) r.dbias[size_t(((b * c.Hq + h) * c.Sq + i) * c.Skv + j)] = dScore;
          double ds = dScore * scale;
          for (int64_t e = 0; e < c.E; ++e) {
            r.dq[Q(i, e)] += ds * k[K(j, e)];
            r.dk[K(j, e)] += ds * q[Q(i, e)];
          }
        }
      }
    }
  return r;
}

std::vector<Case> cases() {
  Case gqa{"causal_gqa", 2, 4, 2, 13, 19, 16, 12};
  gqa.keep = [](int64_t, int64_t i, int64_t j) { return j <= i; };
  Case window{"window_softcap", 2, 2, 2, 11, 14, 16, 16};
  window.scale = 0.5;
  window.softcap = 2.0;
  window.keep = [](int64_t, int64_t i, int64_t j) { return i - j < 5 && j - i <= 2; };
  Case documents{"documents", 2, 2, 2, 17, 17, 16, 16};
  // Batch 0: documents of 5, 9 and 3 tokens; batch 1: 1, 12 and 4.
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t i = 0; i < 17; ++i)
      documents.ids.push_back(b == 0 ? (i < 5 ? 0 : i < 14 ? 1 : 2) : (i < 1 ? 7 : i < 13 ? 8 : 9));
  documents.keep = [ids = documents.ids](int64_t b, int64_t i, int64_t j) {
    return j <= i && ids[size_t(b * 17 + i)] == ids[size_t(b * 17 + j)];
  };
  Case bf16{"causal_bf16", 1, 2, 2, 21, 21, 32, 32};
  bf16.bf16 = true;
  bf16.keep = [](int64_t, int64_t i, int64_t j) { return j <= i; };
  Case bias{"causal_bias", 2, 2, 2, 13, 18, 16, 16};
  bias.bias = true;
  bias.keep = [](int64_t, int64_t i, int64_t j) { return j <= i; };
  return {gqa, window, documents, bf16, bias};
}

// Inputs, poisoned forward outputs and dO for a case; forwardArgs() is the
// forward launch's argument list.
struct Problem {
  Case c;
  HostTensor q, k, v, o, dO;
  HostTensor lse, bias;
  std::vector<int32_t> ids;
  Tensor idsView{nullptr, DLDataType{kDLInt, 32, 1}, {}};

  Problem(const Case &c_, unsigned seed)
      : c(c_), q({c.B, c.Hq, c.Sq, c.E}, c.bf16), k({c.B, c.Hkv, c.Skv, c.E}, c.bf16),
        v({c.B, c.Hkv, c.Skv, c.F}, c.bf16), o({c.B, c.Hq, c.Sq, c.F}, c.bf16),
        dO({c.B, c.Hq, c.Sq, c.F}, c.bf16), lse({c.B, c.Hq, c.Sq}, false),
        bias({1, c.Hq, c.Sq, c.bias ? c.Skv : 0}, false), ids(c.ids) {
    std::mt19937 rng(seed);
    q.fillRandom(rng);
    k.fillRandom(rng);
    v.fillRandom(rng);
    dO.fillRandom(rng);
    bias.fillRandom(rng);
    o.poison();
    lse.poison();
    idsView = Tensor(ids.data(), DLDataType{kDLInt, 32, 1}, {c.B, c.Sq});
  }
  std::vector<const DLTensor *> forwardArgs() const {
    std::vector<const DLTensor *> args = {q.get(), k.get(), v.get()};
    if (!ids.empty()) args.push_back(idsView.get());
    if (c.bias) args.push_back(bias.get());
    args.push_back(o.get());
    args.push_back(lse.get());
    return args;
  }
};

class Backward : public ::testing::Test {
protected:
  attn::Bundle bundle = attn::Bundle::loadFile(ATTN_TEST_BACKWARD_BUNDLE);
};

TEST_F(Backward, GradientsMatchTheFloat64Reference) {
  unsigned seed = 1;
  for (const Case &c : cases()) {
    SCOPED_TRACE(c.name);
    Problem p(c, seed++);
    ASSERT_TRUE(bundle.hasBackward(c.name));
    bundle.launch(c.name, p.forwardArgs());

    // Into the caller's tensors, poisoned first.
    HostTensor dq({c.B, c.Hq, c.Sq, c.E}, c.bf16), dk({c.B, c.Hkv, c.Skv, c.E}, c.bf16),
        dv({c.B, c.Hkv, c.Skv, c.F}, c.bf16);
    // The bias gradient at the full shape: its masked entries are written 0.
    HostTensor dbias({c.B, c.Hq, c.Sq, c.bias ? c.Skv : 0}, false);
    dq.poison();
    dk.poison();
    dv.poison();
    dbias.poison();
    std::vector<const DLTensor *> dbiasArgs;
    if (c.bias) dbiasArgs.push_back(dbias.get());
    bundle.launchBackward(c.name, p.forwardArgs(), p.dO.get(), dq.get(), dk.get(), dv.get(),
                          dbiasArgs);

    Reference ref = reference(c, p.q.values(), p.k.values(), p.v.values(), p.dO.values(),
                              p.bias.values());
    double tolerance = c.bf16 ? 1e-2 : 1e-5;
    EXPECT_LT(relErr(p.o.values(), ref.o), tolerance) << "o";
    double errQ = relErr(dq.values(), ref.dq), errK = relErr(dk.values(), ref.dk),
           errV = relErr(dv.values(), ref.dv);
    EXPECT_LT(errQ, tolerance) << "dq";
    EXPECT_LT(errK, tolerance) << "dk";
    EXPECT_LT(errV, tolerance) << "dv";
    // The check can fail: a kernel is not exact.
    EXPECT_GT(errQ + errK + errV, 0.0);
    std::printf("%s: dq rel_err=%.3g dk rel_err=%.3g dv rel_err=%.3g\n", c.name.c_str(), errQ,
                errK, errV);
    if (c.bias) {
      double errBias = relErr(dbias.values(), ref.dbias);
      EXPECT_LT(errBias, tolerance) << "dbias";
      EXPECT_GT(errBias, 0.0);
      std::printf("%s: dbias rel_err=%.3g\n", c.name.c_str(), errBias);
    }

    // Allocated by the runtime: the same bits (the backward is deterministic).
    attn::Gradients grads = bundle.backward(c.name, p.forwardArgs(), p.dO.get(), "host");
    ASSERT_TRUE(grads.dq && grads.dk && grads.dv);
    EXPECT_EQ(valuesOf(grads.dq.get()), dq.values());
    EXPECT_EQ(valuesOf(grads.dk.get()), dk.values());
    EXPECT_EQ(valuesOf(grads.dv.get()), dv.values());
    ASSERT_EQ(grads.dbias.size(), c.bias ? 1u : 0u);
    if (c.bias) EXPECT_EQ(valuesOf(grads.dbias[0].get()), dbias.values());
  }
}

TEST_F(Backward, ABundleWithoutTheBackwardKernelSaysToCompileWithGrad) {
  attn::Bundle forwardOnly = attn::Bundle::loadFile(ATTN_TEST_FORWARD_ONLY_BUNDLE);
  Problem p(cases()[1], 7); // window_softcap: its forward writes the LSE either way
  forwardOnly.launch("window_softcap", p.forwardArgs());
  EXPECT_FALSE(forwardOnly.hasBackward("window_softcap"));
  try {
    forwardOnly.backward("window_softcap", p.forwardArgs(), p.dO.get());
    FAIL() << "no error";
  } catch (const attn::Error &e) {
    EXPECT_EQ(e.status(), ATTN_ERROR_NOT_FOUND);
    EXPECT_STREQ(e.what(),
                 "ATTN_ERROR_NOT_FOUND: kernel 'window_softcap' has no backward kernel "
                 "('window_softcap_grad') in this bundle: compile the spec with grad=true "
                 "(attn-opt --attn-compile=\"... grad=true\", attn.compile(..., grad=True))");
  }
}

// The message of the Error `call` throws (empty if none).
std::string errorOf(const std::function<void()> &call, attn_status *status = nullptr) {
  try {
    call();
  } catch (const attn::Error &e) {
    if (status) *status = e.status();
    return e.what();
  }
  return "";
}

TEST_F(Backward, MismatchedTensorsAreRefusedWithTheirNames) {
  Problem p(cases()[0], 3);
  bundle.launch("causal_gqa", p.forwardArgs());
  attn_status status = ATTN_OK;

  EXPECT_EQ(errorOf([&] { bundle.backward("no_such_kernel", p.forwardArgs(), p.dO.get()); },
                    &status)
                .rfind("ATTN_ERROR_NOT_FOUND: no kernel 'no_such_kernel' in bundle", 0),
            0u);
  EXPECT_EQ(status, ATTN_ERROR_NOT_FOUND);

  std::vector<const DLTensor *> tooFew = p.forwardArgs();
  tooFew.pop_back();
  EXPECT_EQ(errorOf([&] { bundle.backward("causal_gqa", tooFew, p.dO.get()); }, &status),
            "ATTN_ERROR_INVALID_ARGUMENT: the backward of kernel 'causal_gqa' takes the "
            "forward's 5 arguments (its inputs, and its outputs as the forward wrote them), got 4");
  EXPECT_EQ(status, ATTN_ERROR_INVALID_ARGUMENT);

  EXPECT_EQ(errorOf([&] { bundle.backward("causal_gqa", p.forwardArgs(), nullptr); }, &status),
            "ATTN_ERROR_INVALID_ARGUMENT: the backward of kernel 'causal_gqa' needs dO (the "
            "gradient of o), got NULL");

  // dO for one query fewer than the forward ran.
  HostTensor shortDO({2, 4, 12, 12}, false);
  std::mt19937 rng(5);
  shortDO.fillRandom(rng);
  EXPECT_EQ(errorOf([&] { bundle.backward("causal_gqa", p.forwardArgs(), shortDO.get()); },
                    &status),
            "ATTN_ERROR_ARGUMENT_MISMATCH: backward kernel 'causal_gqa_grad': argument 5 ('do') "
            "dimension 2 ('Sq') is 12, but argument 0 ('q') dimension 2 set Sq = 13");
  EXPECT_EQ(status, ATTN_ERROR_ARGUMENT_MISMATCH);

  // A bf16 dq for f32 inputs.
  HostTensor dq({2, 4, 13, 16}, true), dk({2, 2, 19, 16}, false), dv({2, 2, 19, 12}, false);
  EXPECT_EQ(errorOf([&] {
              bundle.launchBackward("causal_gqa", p.forwardArgs(), p.dO.get(), dq.get(), dk.get(),
                                    dv.get());
            }),
            "ATTN_ERROR_ARGUMENT_MISMATCH: backward kernel 'causal_gqa_grad': argument 6 ('dq') "
            "has dtype (code 4, bits 16, lanes 1), expected f32");
}

} // namespace

TEST_F(Backward, ABiasGradientMustBeGivenWithTheOthers) {
  Problem p(cases()[4], 11); // causal_bias
  bundle.launch("causal_bias", p.forwardArgs());
  HostTensor dq({2, 2, 13, 16}, false), dk({2, 2, 18, 16}, false), dv({2, 2, 18, 16}, false);
  EXPECT_EQ(errorOf([&] {
              bundle.launchBackward("causal_bias", p.forwardArgs(), p.dO.get(), dq.get(),
                                    dk.get(), dv.get());
            }),
            "ATTN_ERROR_INVALID_ARGUMENT: backward kernel 'causal_bias_grad' also writes the bias "
            "gradient 'ddata0' ([B, Hq, Sq, Skv]): pass one tensor per bias gradient");
  // Broadcast like the operand ([1, Hq, Sq, Skv]) is not the gradient's shape.
  HostTensor broadcast({1, 2, 13, 18}, false);
  std::string message = errorOf([&] {
    bundle.launchBackward("causal_bias", p.forwardArgs(), p.dO.get(), dq.get(), dk.get(),
                          dv.get(), {broadcast.get()});
  });
  EXPECT_EQ(message,
            "ATTN_ERROR_ARGUMENT_MISMATCH: backward kernel 'causal_bias_grad': argument 10 "
            "('ddata0') dimension 0 ('B') is 1, but argument 0 ('q') dimension 0 set B = 2");
}

// A bundle compiled with mask-prep=kernel (and grad=true): 'documents' reads
// the key summary 'data0_summary' that 'documents_prep' writes from the ids.
// launch and backward take the arguments without it (the header runs the
// preparation into a summary the runtime allocates by its least extent), or
// with the summary prepareKeySummary made.
TEST(KeySummary, TheHeaderRunsThePreparation) {
  attn::Bundle prepared = attn::Bundle::loadFile(ATTN_TEST_KEY_SUMMARY_BUNDLE);
  ASSERT_EQ(prepared.keySummaryArg("documents"), 4);
  EXPECT_EQ(prepared.keySummaryArg("causal_gqa"), -1);
  Case c = cases()[2];
  ASSERT_EQ(c.name, "documents");
  Problem p(c, 21);
  Reference ref = reference(c, p.q.values(), p.k.values(), p.v.values(), p.dO.values(), {});

  prepared.launch("documents", p.forwardArgs());
  double err = relErr(p.o.values(), ref.o);
  EXPECT_LT(err, 1e-5);
  EXPECT_GT(err, 0.0);
  std::vector<double> withoutSummary = p.o.values();

  // The summary made explicitly: [B, ceil(17 / 64), 2], the same output bits.
  attn::Tensor summary = prepared.prepareKeySummary("documents", p.forwardArgs(), "host");
  ASSERT_TRUE(summary);
  ASSERT_EQ(summary->ndim, 3);
  EXPECT_EQ(summary->shape[0], c.B);
  EXPECT_EQ(summary->shape[1], 1);
  EXPECT_EQ(summary->shape[2], 2);
  std::vector<const DLTensor *> full = p.forwardArgs();
  full.insert(full.begin() + 4, summary.get());
  p.o.poison();
  prepared.launch("documents", full);
  EXPECT_EQ(p.o.values(), withoutSummary);

  // The backward takes the forward's arguments with or without the summary.
  attn::Gradients grads = prepared.backward("documents", p.forwardArgs(), p.dO.get(), "host");
  attn::Gradients again = prepared.backward("documents", full, p.dO.get(), "host");
  ASSERT_TRUE(grads.dq && grads.dk && grads.dv);
  EXPECT_LT(relErr(valuesOf(grads.dq.get()), ref.dq), 1e-5);
  EXPECT_LT(relErr(valuesOf(grads.dk.get()), ref.dk), 1e-5);
  EXPECT_LT(relErr(valuesOf(grads.dv.get()), ref.dv), 1e-5);
  EXPECT_EQ(valuesOf(again.dq.get()), valuesOf(grads.dq.get()));

  // Errors: a kernel without a summary; the ids left out; a summary the
  // preparation would write past.
  EXPECT_EQ(errorOf([&] { prepared.prepareKeySummary("causal_gqa", {}); }),
            "ATTN_ERROR_NOT_FOUND: kernel 'causal_gqa' reads no key summary (attn-compile "
            "mask-prep=kernel makes kernels that do)");
  EXPECT_EQ(errorOf([&] { prepared.prepareKeySummary("documents", {p.q.get(), p.k.get()}); }),
            "ATTN_ERROR_INVALID_ARGUMENT: kernel 'documents' needs the ids 'data0' to prepare "
            "'data0_summary'");
  std::vector<int32_t> tooSmall;
  Tensor empty(tooSmall.data(), DLDataType{kDLInt, 32, 1}, {c.B, 0, 2});
  EXPECT_EQ(errorOf([&] { prepared.launch("documents_prep", {p.idsView.get(), empty.get()}); }),
            "ATTN_ERROR_ARGUMENT_MISMATCH: argument 1 ('data0_summary') dimension 1 is 0, but "
            "the kernel reads at least ceil_div(Sq, 64) = 1 entries there (Sq = 17)");
}
