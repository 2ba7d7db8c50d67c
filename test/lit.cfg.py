# -*- Python -*-
import os
import platform

import lit.formats
from lit.llvm import llvm_config

config.name = "attn"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.attn_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]

config.substitutions.append(("%examples", os.path.join(config.attn_src_root, "examples")))

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.add_tool_substitutions(["attn-opt", "attn-run", "attn-bundle-info"], [config.attn_tools_dir])

# NVIDIA: tests that assemble cubins need ptxas, found as attn-compile finds
# it ($ATTN_CUDA_PATH/bin, /usr/local/cuda/bin, PATH); the others run anywhere.
import shutil
llvm_config.with_system_environment(["ATTN_CUDA_PATH"])
_cuda_root = os.environ.get("ATTN_CUDA_PATH")
if _cuda_root:
    _ptxas = os.path.join(_cuda_root, "bin", "ptxas")
elif os.access("/usr/local/cuda/bin/ptxas", os.X_OK):
    _ptxas = "/usr/local/cuda/bin/ptxas"
else:
    _ptxas = shutil.which("ptxas")
if _ptxas and os.access(_ptxas, os.X_OK):
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", _ptxas))

# Tests of x86-specific host code generation (CPU names, F16C).
if platform.machine() in ("x86_64", "AMD64"):
    config.available_features.add("x86_64-host")

# The MLIR-free attn-run (tools/attn-run), built as attn-run-nomlir beside the
# compiler.
llvm_config.add_tool_substitutions(["attn-run-nomlir"], [config.attn_tools_dir])
