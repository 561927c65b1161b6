"""Patches the Kotlin bindings uniffi generated (the file given), failing loudly when uniffi
changes the code a patch expects — each patch names what it replaces and why.

1. A Kotlin exception with fields is worded by uniffi as `details=ErrorDetails(…)`; every bcpay
   host shows the core's sentence instead (`describeError`). The host vectors check the result.
2. Every FFI call allocated a `UniffiRustCallStatus`, a JNA structure holding a second one (its
   error buffer). JNA records each structure's native memory in a global map (Debian's JNA 5.13:
   a `ConcurrentHashMap<Long, …>` whose bins degrade into trees), which made a call with no
   arguments and no result cost ~19 µs. Statuses are now reused: ~2 µs. They wait in one
   concurrent queue, not a thread-local: calls nest (a call's arguments are lowered inside it, and
   each object argument, a card number or a CVV, makes a call of its own to clone its handle),
   and the JDK's cleaner thread, which frees those objects, erases its thread-locals after every
   task. JNA's automatic copy of a status's fields to native memory before each call and back
   after it (by reflection, half the Java time of a payment's calls in JFR) is off: Rust writes a
   status only when the call fails, so the native status stays zeroed and is read only then.
"""
import sys

path = sys.argv[1]
text = open(path, encoding="utf-8").read()

# (what uniffi writes, what replaces it, whether it appears once or once per exception class)
PATCHES = [
    (
        'get() = "details=${ `details` }"',
        "get() = describeError(`details`)",
        False,
    ),
    (
        """private inline fun <U, E: kotlin.Exception> uniffiRustCallWithError(errorHandler: UniffiRustCallStatusErrorHandler<E>, callback: (UniffiRustCallStatus) -> U): U {
    var status = UniffiRustCallStatus()
    val return_value = callback(status)
    uniffiCheckCallStatus(errorHandler, status)
    return return_value
}""",
        """private inline fun <U, E: kotlin.Exception> uniffiRustCallWithError(errorHandler: UniffiRustCallStatusErrorHandler<E>, callback: (UniffiRustCallStatus) -> U): U {
    val status = UniffiCallStatuses.take()
    try {
        val return_value = callback(status)
        // Rust writes a status only when its call fails: read it then, and only then.
        if (status.pointer.getByte(0) != UNIFFI_CALL_SUCCESS) status.read()
        uniffiCheckCallStatus(errorHandler, status)
        return return_value
    } finally {
        UniffiCallStatuses.give(status)
    }
}

/** Call statuses reused by every call (patched in by bcpay: see kotlin/scripts/patch_bindings.py);
 * as many as calls were ever in progress at once. */
internal object UniffiCallStatuses {
    private val spares = java.util.concurrent.ConcurrentLinkedQueue<UniffiRustCallStatus>()

    fun take(): UniffiRustCallStatus = spares.poll() ?: UniffiRustCallStatus().apply {
        // Not JNA's copy of every field to native memory before each call and back after it (by
        // reflection): the native status starts zeroed, i.e. successful, and is read on failure.
        setAutoSynch(false)
        clear()
    }

    fun give(status: UniffiRustCallStatus) {
        if (status.code != UNIFFI_CALL_SUCCESS || status.pointer.getByte(0) != UNIFFI_CALL_SUCCESS) {
            status.clear()
            status.code = UNIFFI_CALL_SUCCESS
            status.error_buf.capacity = 0
            status.error_buf.len = 0
            status.error_buf.data = null
        }
        spares.offer(status)
    }
}""",
        True,
    ),
    (
        "open class RustBuffer : Structure() {\n",
        "open class RustBuffer : Structure() {\n"
        "    // bcpay: native memory JNA does not record in its global map (see UntrackedMemory), and\n"
        "    // the fields' reflection done once (see UntrackedMemory.kt).\n"
        "    override fun autoAllocate(size: Int): com.sun.jna.Memory = UntrackedMemory(size.toLong())\n"
        "    override fun getFieldList(): MutableList<java.lang.reflect.Field> = ArrayList(RUST_BUFFER_FIELDS)\n\n",
        True,
    ),
]

for old, new, once in PATCHES:
    found = text.count(old)
    if found == 0 or (once and found != 1):
        sys.exit(f"{path}: uniffi changed the code bcpay patches ({found} times): {old.splitlines()[0]}")
    text = text.replace(old, new)
open(path, "w", encoding="utf-8").write(text)
