//===- ExternalTool.h - Run a compiler tool on bytes ------------*- C++ -*-===//
//
// The targets hand their last step to an external program (ld.lld for the
// host, ptxas for NVIDIA): write the input to a temporary file, run the tool,
// read back its output file and its log. Temporary files never outlive the
// call.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_HOST_EXTERNALTOOL_H
#define ATTN_HOST_EXTERNALTOOL_H

#include "mlir/IR/Location.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"
#include <string>
#include <vector>

namespace mlir::attn {

/// How a tool run went. `status` is the exit code (negative when the tool
/// could not be run or timed out, with `executeError` saying why).
struct ExternalToolRun {
  int status = 0;
  std::string executeError;
  /// The tool's standard output and error.
  std::string log;
  /// The output file's bytes (empty when the tool wrote none).
  std::vector<uint8_t> output;
};

/// Runs `tool` with `arguments`, in which the words "{input}" and "{output}"
/// stand for temporary files with suffixes `inputSuffix` and `outputSuffix`;
/// `input` is written to the first before the run. Fails (with an error at
/// `loc` naming `purpose`) only when the temporary files cannot be made or
/// written; a failing tool is reported through the result.
FailureOr<ExternalToolRun> runExternalTool(Location loc, StringRef purpose,
                                           StringRef tool,
                                           ArrayRef<std::string> arguments,
                                           StringRef input,
                                           StringRef inputSuffix,
                                           StringRef outputSuffix,
                                           unsigned secondsToWait);

} // namespace mlir::attn

#endif // ATTN_HOST_EXTERNALTOOL_H
