//===- ExternalTool.cpp - Run a compiler tool on bytes --------------------===//
#include "attn/Target/ExternalTool.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"
#include <optional>

using namespace mlir;

namespace {
/// A temporary file removed when this goes out of scope.
struct TemporaryFile {
  llvm::SmallString<128> path;
  ~TemporaryFile() {
    if (!path.empty())
      llvm::sys::fs::remove(path);
  }
  LogicalResult create(StringRef suffix) {
    return failure(
        bool(llvm::sys::fs::createTemporaryFile("attn", suffix, path)));
  }
};
} // namespace

FailureOr<attn::ExternalToolRun> attn::runExternalTool(
    Location loc, StringRef purpose, StringRef tool,
    ArrayRef<std::string> arguments, StringRef input, StringRef inputSuffix,
    StringRef outputSuffix, unsigned secondsToWait) {
  TemporaryFile inputFile, outputFile, logFile;
  if (failed(inputFile.create(inputSuffix)) ||
      failed(outputFile.create(outputSuffix)) ||
      failed(logFile.create("log")))
    return emitError(loc) << "cannot create temporary files for " << purpose;
  {
    std::error_code error;
    llvm::raw_fd_ostream stream(inputFile.path, error);
    if (error)
      return emitError(loc) << "cannot write " << inputFile.path << ": "
                            << error.message();
    stream << input;
  }
  SmallVector<StringRef> argv = {tool};
  for (const std::string &argument : arguments)
    argv.push_back(argument == "{input}"    ? StringRef(inputFile.path)
                   : argument == "{output}" ? StringRef(outputFile.path)
                                            : StringRef(argument));
  std::optional<StringRef> redirects[] = {std::nullopt, StringRef(logFile.path),
                                          StringRef(logFile.path)};
  ExternalToolRun run;
  run.status = llvm::sys::ExecuteAndWait(tool, argv, std::nullopt, redirects,
                                         secondsToWait, /*MemoryLimit=*/0,
                                         &run.executeError);
  if (auto log = llvm::MemoryBuffer::getFile(logFile.path))
    run.log = (*log)->getBuffer().str();
  if (auto output = llvm::MemoryBuffer::getFile(
          outputFile.path, /*IsText=*/false, /*RequiresNullTerminator=*/false)) {
    StringRef bytes = (*output)->getBuffer();
    run.output.assign(bytes.begin(), bytes.end());
  }
  return run;
}
