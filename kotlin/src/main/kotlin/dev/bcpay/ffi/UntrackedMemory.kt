package dev.bcpay.ffi

import com.sun.jna.Memory
import com.sun.jna.Native

/**
 * Native memory for uniffi's `RustBuffer` structures (patched in by kotlin/scripts/patch_bindings.py):
 * a block from `malloc`, freed by a cleaner once the structure is unreachable, as JNA frees its own
 * — but not recorded in JNA's global map of every allocation (`Memory.allocatedMemory`, a
 * `ConcurrentHashMap<Long, …>` in Debian's JNA 5.13 whose inserts and removals were most of the
 * CPU an FFI call cost, and where threads contend).
 */
internal class UntrackedMemory(size: Long) : Memory() {
    init {
        val address = Native.malloc(size)
        if (address == 0L) throw OutOfMemoryError("bcpay: no native memory for a structure of $size bytes")
        peer = address
        this.size = size
        clear()
        register(this, Free(address))
    }

    /** Frees a block; holds its address, not the memory object (which must become unreachable). */
    private class Free(private val address: Long) : Runnable {
        override fun run() = Native.free(address)
    }

    private companion object {
        /**
         * The JDK's cleaner where there is one, JNA's otherwise (Android before API 33), as
         * uniffi's bindings choose theirs. Not the bindings' own: this class is first used while
         * they load the library, before their cleaner exists.
         */
        val register: (Any, Runnable) -> Unit = try {
            Class.forName("java.lang.ref.Cleaner")
            jdkCleaner()
        } catch (e: ClassNotFoundException) {
            val cleaner = com.sun.jna.internal.Cleaner.getCleaner()
            val register: (Any, Runnable) -> Unit = { value, task -> cleaner.register(value, task) }
            register
        }

        fun jdkCleaner(): (Any, Runnable) -> Unit {
            val cleaner = java.lang.ref.Cleaner.create()
            return { value, task -> cleaner.register(value, task) }
        }
    }
}

/**
 * `RustBuffer`'s fields, as JNA's `Structure.getFieldList` finds them (the public instance fields
 * of each class up to `Structure`: `capacity`, `len`, `data`), found once: JNA would ask for them
 * by reflection for every buffer (patched in by kotlin/scripts/patch_bindings.py). A copy is
 * handed out each time, since JNA sorts the list it gets.
 */
internal val RUST_BUFFER_FIELDS: List<java.lang.reflect.Field> =
    RustBuffer::class.java.declaredFields.filter { java.lang.reflect.Modifier.isPublic(it.modifiers) && !java.lang.reflect.Modifier.isStatic(it.modifiers) }
