// Issue 16: attn-run bounds every size before it makes inputs, refuses what
// is not what it claims to be, and never calls arbitrary data a PASS.
// RUN: attn-opt %s --attn-compile="targets=host output=%t.atnb" -o /dev/null

// Sizes: 2^62 made the size product wrap to 0 and segfault; 2^31 - 1 and
// INT64_MAX aborted (out of memory, std::length_error).
// RUN: not attn-run %t.atnb --target host --function causal --batch 4611686018427387904 --seq-q 2 --check 2>&1 | FileCheck %s --check-prefix=BATCH
// BATCH: attn-run: error: --batch must be in [1, 1073741824], got 4611686018427387904
// RUN: not attn-run %t.atnb --target host --function causal --batch 1 --seq-q 2147483647 --check 2>&1 | FileCheck %s --check-prefix=SEQ
// SEQ: attn-run: error: --seq-q must be in [1, 1073741824], got 2147483647
// RUN: not attn-run %t.atnb --target host --function causal --batch 1073741824 --seq-q 1073741824 --check 2>&1 | FileCheck %s --check-prefix=MEMORY
// MEMORY: attn-run: error: argument 'q' of shape [1073741824, 2, 1073741824, 16] has more elements than 64 bits count
// RUN: not attn-run %t.atnb --target host --function causal --batch 1 --seq-q 1073741824 --runs 1 2>&1 | FileCheck %s --check-prefix=RAM
// RAM: attn-run: error: the arguments need {{[0-9]+}} MiB of host memory, more than 3/4 of this machine's {{[0-9]+}} MiB; choose smaller sizes

// --inputs that does not exist, or is a file, silently generated inputs.
// RUN: not attn-run %t.atnb --target host --function causal --batch 1 --seq-q 9 --check --inputs %t.no-such-dir 2>&1 | FileCheck %s --check-prefix=NODIR
// NODIR: attn-run: error: --inputs {{.*}}no-such-dir: No such file or directory
// RUN: not attn-run %t.atnb --target host --function causal --batch 1 --seq-q 9 --check --inputs %s 2>&1 | FileCheck %s --check-prefix=NOTDIR
// NOTDIR: attn-run: error: --inputs {{.*}}attn-run-inputs.mlir: not a directory

// A directory or a device as a bundle: an uncaught std::ios_base::failure
// before, and /dev/zero was read until bad_alloc.
// RUN: not attn-run %S --target host 2>&1 | FileCheck %s --check-prefix=DIR
// DIR: attn-run: error: cannot read bundle {{.*}}: cannot read bundle file '{{.*}}Reliability': it is a directory
// RUN: not attn-run /dev/zero --target host 2>&1 | FileCheck %s --check-prefix=ZERO
// ZERO: attn-run: error: cannot read bundle /dev/zero: cannot read bundle file '/dev/zero': it is not a regular file
// RUN: not attn-bundle-info %S 2>&1 | FileCheck %s --check-prefix=INFO
// INFO: attn-bundle-info: error: {{.*}}it is a directory

// A bundle given to the reference printed its bytes as a parse error.
// RUN: not attn-run %t.atnb --target ref 2>&1 | FileCheck %s --check-prefix=REF
// REF: attn-run: error: {{.*}}.atnb is an attn bundle (a compiled kernel), not a spec: run it with --target host, cuda or hip (attn-bundle-info shows what it holds)

// Data only a custom region reads is generated arbitrarily: --check refuses
// to call that a PASS unless told it is fine.
// RUN: not attn-run %t.atnb --target host --function region_table --batch 1 --seq-q 21 --check 2>&1 | FileCheck %s --check-prefix=ARBITRARY
// ARBITRARY: attn-run: error: kernel 'region_table' reads data0 only in a custom region, so its generated values are arbitrary and a PASS on them proves little: pass --inputs DIR with meaningful data, or --allow-arbitrary-region-data to check on them anyway
// RUN: attn-run %t.atnb --target host --function region_table --batch 1 --seq-q 21 --check --allow-arbitrary-region-data | FileCheck %s --check-prefix=ALLOWED
// ALLOWED: note: data0 generated with arbitrary values (read only by a custom region)
// ALLOWED: PASS
// RUN: not attn-run %t.atnb --target host --function causal --batch 1 --seq-q 9 --allow-arbitrary-region-data 2>&1 | FileCheck %s --check-prefix=FLAG
// FLAG: attn-run: error: --allow-arbitrary-region-data applies only to --target host/cuda/hip --check

// Data from files is checked against its rules before any launch, timed
// or checked (the runtime alone checks it too: kernel-data-validation.mlir).
// RUN: rm -rf %t.mask && mkdir -p %t.mask
// RUN: python3 %S/Inputs/write-npy.py %t.mask/data0.npy --i4 --shape 1,2,0,0
// RUN: not attn-run %t.atnb --target host --function block_mask --inputs %t.mask --batch 1 --seq-q 40 --runs 1 2>&1 | FileCheck %s --check-prefix=BADDATA
// BADDATA: error: 'attn.attention' op data operand #0 of '#attn.block_mask': dimension 2 is 0 but must be 3 (ceil(Sq / block_q))

// Messages: a Sq/Skv mismatch of a documents-ids kernel blamed "--inputs
// files" that nobody gave; a neighborhood size mismatch blamed data operands
// the spec does not have.
// RUN: not attn-run %t.atnb --target host --function ids --batch 1 --seq-q 10 --seq-kv 12 --check 2>&1 | FileCheck %s --check-prefix=IDS
// IDS: attn-run: error: --seq-kv 12 contradicts Sq = 10 from --seq-q (kernel 'ids' uses one size Sq for both)
// RUN: not attn-run %s --target ref --function grid --batch 1 --seq-q 50 2>&1 | FileCheck %s --check-prefix=GRID
// GRID: remark: reference: the mask does not fit at the bound sizes B = 1, Sq = 50, Skv = 50
// GRID-NOT: data operands

func.func @causal(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>
  return %o : tensor<?x2x?x16xf32>
}

func.func @region_table(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>, %t: tensor<8xi32>) -> tensor<?x2x?x16xf32> {
  %o = attn.attention %q, %k, %v data(%t : tensor<8xi32>) {mask = #attn.causal} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32> mask {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %c7 = arith.constant 7 : index
    %jj = arith.minsi %j, %c7 : index
    %x = tensor.extract %t[%jj] : tensor<8xi32>
    %c3 = arith.constant 3 : i32
    %keep = arith.cmpi slt, %x, %c3 : i32
    attn.yield %keep : i1
  }
  return %o : tensor<?x2x?x16xf32>
}

func.func @ids(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>, %d: tensor<?x?xi32>) -> tensor<?x2x?x16xf32> {
  %o = attn.attention %q, %k, %v data(%d : tensor<?x?xi32>) {mask = #attn.documents<operand = 0>} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>
  return %o : tensor<?x2x?x16xf32>
}

func.func @grid(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [7, 7], kernel = [3, 3]>} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>
  return %o : tensor<?x2x?x16xf32>
}

func.func @block_mask(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>, %m: tensor<?x2x?x?xi32>) -> tensor<?x2x?x16xf32> {
  %o = attn.attention %q, %k, %v data(%m : tensor<?x2x?x?xi32>) {mask = #attn.block_mask<operand = 0, block_q = 16, block_kv = 16>} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>
  return %o : tensor<?x2x?x16xf32>
}
