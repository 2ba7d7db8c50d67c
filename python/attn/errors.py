"""The exceptions attn raises (besides ValueError/TypeError for bad Python
arguments)."""


class AttnError(Exception):
    """Base class of attn's own errors."""


class LibraryNotFound(AttnError):
    """libattn_runtime.so (or libattn_compiler.so where one is needed) was not
    found; the message lists where attn looked."""


class CompileError(AttnError):
    """The compiler rejected a spec or options; `diagnostics` holds its
    messages (with source locations) and `spec` the spec text."""

    def __init__(self, message, diagnostics="", spec=""):
        super().__init__(message)
        self.diagnostics = diagnostics
        self.spec = spec


class CompilerUnavailable(CompileError):
    """A bundle is needed that the cache does not hold, and there is no
    compiler library to build it (e.g. on a machine with the runtime only)."""


class CacheError(AttnError):
    """The cache directory is unsafe to use (not owned by this user, or
    writable by others)."""


class KernelError(AttnError):
    """The runtime refused or failed a call. `status` is the runtime's status
    name (ATTN_ERROR_ARGUMENT_MISMATCH, ...) and the message is
    attn_last_error()'s."""

    def __init__(self, status, message):
        super().__init__(f"{status}: {message}")
        self.status = status
        self.runtime_message = message


class TraceError(AttnError, TypeError):
    """A mask_mod or score_mod uses something outside what attn can turn into
    a spec; the message names the operation."""
