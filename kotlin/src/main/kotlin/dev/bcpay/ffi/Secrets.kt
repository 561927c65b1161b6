package dev.bcpay.ffi

/**
 * Card data as a plain Kotlin value: making one calls no native code. It crosses to the core as
 * UTF-8 bytes inside the payment (a uniffi custom type, see `bindings/uniffi/uniffi.toml`), where
 * a native object per card number and CVV had cost eight JNA calls of a payment's thirteen (their
 * constructors, text buffers, handle clones and frees).
 *
 * Its bytes are wiped by [close], or once it is unreachable; the `String` it was made from is the
 * caller's, as JVM strings are left to the garbage collector. Closed card data reads as no digits
 * at all (a validation error naming the field). Serializers see no field (they are `@Transient`),
 * and `toString` shows what the core's redaction shows.
 */
sealed class CardSecret(@Transient private val bytes: ByteArray) : AutoCloseable {
    @Transient private val wiping = UniffiLib.CLEANER.register(this, Wipe(bytes))

    /** Wipes the digits now. */
    override fun close() = wiping.clean()

    /** The bytes uniffi's converter writes into the payment (not a getter: serializers skip it). */
    internal fun wireBytes(): ByteArray = bytes

    /** Wipes the bytes; holds the array, not the secret (which must become unreachable). */
    private class Wipe(private val bytes: ByteArray) : Runnable {
        override fun run() = bytes.fill(0)
    }
}

/** A card number (spaces and dashes are ignored); `toString()` shows at most the last four digits. */
class CardNumber private constructor(bytes: ByteArray) : CardSecret(bytes) {
    constructor(digits: String) : this(digits.toByteArray(Charsets.UTF_8))

    override fun toString(): String = "CardNumber(${describeCardNumber(this)})"

    internal companion object {
        /** What uniffi's converter makes of bytes from the core (which it never sends). */
        fun of(bytes: ByteArray) = CardNumber(bytes)
    }
}

/** A card verification value (CVV/CVC); `toString()` never shows it. */
class VerificationValue private constructor(bytes: ByteArray) : CardSecret(bytes) {
    constructor(digits: String) : this(digits.toByteArray(Charsets.UTF_8))

    override fun toString(): String = "VerificationValue(${describeVerificationValue(this)})"

    internal companion object {
        /** What uniffi's converter makes of bytes from the core (which it never sends). */
        fun of(bytes: ByteArray) = VerificationValue(bytes)
    }
}
