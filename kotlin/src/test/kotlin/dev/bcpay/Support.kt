package dev.bcpay

import com.google.gson.JsonArray
import com.google.gson.JsonElement
import com.google.gson.JsonNull
import com.google.gson.JsonObject
import com.google.gson.JsonParser
import dev.bcpay.ffi.BcpayException
import dev.bcpay.ffi.CardNumber
import dev.bcpay.ffi.FieldError
import dev.bcpay.ffi.FlowOptions
import dev.bcpay.ffi.Header
import dev.bcpay.ffi.HttpResponse
import dev.bcpay.ffi.Payment
import dev.bcpay.ffi.PaymentInstrument
import dev.bcpay.ffi.RetryAdvice
import dev.bcpay.ffi.TransactionPage
import dev.bcpay.ffi.VerificationValue
import dev.bcpay.ffi.defaultFlowOptions
import dev.bcpay.ffi.hasNextPage
import java.io.File
import java.math.BigDecimal
import kotlin.reflect.full.memberFunctions
import kotlin.reflect.full.memberProperties

/** The repository's `tests/vectors` (system property `bcpay.vectors` overrides). */
val VECTORS: File = File(System.getProperty("bcpay.vectors") ?: "tests/vectors")

fun loadVectors(name: String): JsonObject = JsonParser.parseString(File(VECTORS, name).readText()).asJsonObject

fun JsonObject.str(key: String): String? = get(key)?.takeUnless { it.isJsonNull }?.asString
fun JsonObject.long(key: String): Long? = get(key)?.takeUnless { it.isJsonNull }?.asLong
fun JsonObject.bool(key: String): Boolean? = get(key)?.takeUnless { it.isJsonNull }?.asBoolean

/** A vector's response: `body` serialized compactly, or `body_text` byte for byte. */
fun responseOf(r: JsonObject): HttpResponse {
    val body = if (r.has("body_text")) r.get("body_text").asString else r.get("body").toString()
    val headers = r.getAsJsonObject("headers")?.entrySet()?.map { (k, v) -> Header(k, v.asString) } ?: emptyList()
    return HttpResponse(r.get("status").asInt, headers, body.toByteArray())
}

/** A typed payment from its wire JSON (snake_case, as in the vectors). */
fun paymentOf(p: JsonObject): Payment {
    val i = p.getAsJsonObject("instrument")
    val cvv = i.str("verification_value")?.let { VerificationValue(it) }
    val instrument = when (val type = i.str("type")) {
        "card" -> PaymentInstrument.Card(
            CardNumber(i.str("number")!!), i.str("cardholder_name") ?: "", i.long("expiry_month"), i.long("expiry_year"), cvv,
            i.long("issue_month"), i.long("issue_year"), i.long("issue_number"),
        )
        "stored_card" -> PaymentInstrument.StoredCard(i.str("token")!!, cvv)
        "stored_paypal_account" -> PaymentInstrument.StoredPaypalAccount(i.str("token")!!)
        "stored_bank_account" -> PaymentInstrument.StoredBankAccount(i.str("token")!!)
        "gift_certificate" -> PaymentInstrument.GiftCertificate(i.str("gift_certificate_code")!!)
        "store_credit" -> PaymentInstrument.StoreCredit
        "tokenized_card" -> PaymentInstrument.TokenizedCard(
            i.str("token")!!, i.str("iin"), i.str("last_four_digits"), i.str("expiration_month"), i.str("expiration_year"),
        )
        else -> error("unknown instrument type $type")
    }
    return Payment(instrument, p.str("payment_method_id")!!, p.bool("save_instrument") ?: false)
}

/** Default flow options with the vector's overrides. */
fun flowOptionsOf(o: JsonObject): FlowOptions = defaultFlowOptions().also { f ->
    for ((key, v) in o.entrySet()) {
        when (key) {
            "fetch_methods" -> f.fetchMethods = v.asBoolean
            "reconcile" -> f.reconcile = v.asBoolean
            "max_attempts" -> f.maxAttempts = v.asInt
            "backoff_base_ms" -> f.backoffBaseMs = v.asLong
            "backoff_cap_ms" -> f.backoffCapMs = v.asLong
            "pat_refresh_margin_ms" -> f.patRefreshMarginMs = v.asLong
            "reconcile_delay_ms" -> f.reconcileDelayMs = v.asLong
            "settle_window_ms" -> f.settleWindowMs = v.asLong
            "resend_when_unrecorded" -> f.resendWhenUnrecorded = v.asBoolean
            "max_transaction_pages" -> f.maxTransactionPages = v.asInt
            "is_recurring" -> f.isRecurring = v.asBoolean
            "time_budget_ms" -> f.timeBudgetMs = v.asLong
            else -> error("unknown flow option $key")
        }
    }
}

private fun camel(key: String): String =
    key.split('_').mapIndexed { i, part -> if (i == 0) part else part.replaceFirstChar(Char::uppercase) }.joinToString("")

/** Wire names that the core renames in its records (`type` is a keyword-like name). */
private val ALIASES = mapOf("type" to listOf("methodType", "instrumentType"))

/** The value at wire key [key] of a generated record or object, through Kotlin reflection. */
fun valueAt(obj: Any, key: String): Any? {
    if (key == "has_next" && obj is TransactionPage) return hasNextPage(obj)
    val k = obj::class
    for (name in listOf(camel(key)) + ALIASES[key].orEmpty()) {
        k.memberProperties.firstOrNull { it.name == name }?.let { return it.getter.call(obj) }
        k.memberFunctions.firstOrNull { it.name == name && it.parameters.size == 1 }?.let { return it.call(obj) }
    }
    throw AssertionError("${k.simpleName} has no field for '$key'")
}

private fun numberText(v: Any): String? = when (v) {
    is Number, is ULong, is UInt, is UShort, is UByte -> v.toString()
    else -> null
}

/** The subset match of `tests/vectors/README.md`. */
fun assertSubset(expected: JsonElement, actual: Any?, path: String = "$") {
    fun fail(why: String): Nothing = throw AssertionError("$path: $why (expected $expected, actual $actual)")
    when {
        expected is JsonNull -> if (actual != null && actual != Unit) fail("expected null")
        expected is JsonObject -> {
            if (actual == null) fail("missing")
            for ((key, value) in expected.entrySet()) assertSubset(value, valueAt(actual, key), "$path.$key")
        }
        expected is JsonArray -> {
            val list = actual as? List<*> ?: fail("not a list")
            if (list.size != expected.size()) fail("length ${list.size} != ${expected.size()}")
            expected.forEachIndexed { i, e -> assertSubset(e, list[i], "$path[$i]") }
        }
        expected.asJsonPrimitive.isBoolean -> if (actual != expected.asBoolean) fail("boolean differs")
        expected.asJsonPrimitive.isNumber -> {
            val text = actual?.let(::numberText) ?: fail("not a number")
            if (BigDecimal(text).compareTo(BigDecimal(expected.asString)) != 0) fail("number differs")
        }
        else -> {
            val ok = when (actual) {
                is String -> actual == expected.asString
                is Enum<*> -> actual.name.equals(expected.asString, ignoreCase = true)
                else -> false
            }
            if (!ok) fail("text differs")
        }
    }
}

fun pairs(errors: List<FieldError>): List<Pair<String, String>> = errors.map { it.path to it.code }.sortedWith(compareBy({ it.first }, { it.second }))

fun pairs(errors: JsonArray, camel: Boolean = true): List<Pair<String, String>> =
    errors.map { (it.asJsonObject.str("path")!!.let { p -> if (camel) camelPath(p) else p }) to it.asJsonObject.str("code")!! }
        .sortedWith(compareBy({ it.first }, { it.second }))

/** A core field path in the names Kotlin gives the fields (`verification_value` → `verificationValue`). */
fun camelPath(path: String): String = Regex("_([a-z0-9])").replace(path) { it.groupValues[1].uppercase() }

/** The core's name of a retry advice's type (`with_new_token`, …). */
fun retryName(r: RetryAdvice): String =
    r::class.simpleName!!.replace(Regex("([a-z])([A-Z])"), "$1_$2").lowercase()

/** Checks a [BcpayException] against a vector's expected error (a subset of the core's error). */
fun assertError(expected: JsonObject, error: Throwable) {
    val e = error as? BcpayException ?: throw AssertionError("not a BcpayException: $error", error)
    val d = e.details
    for ((key, value) in expected.entrySet()) {
        when (key) {
            "field_errors" -> org.junit.Assert.assertEquals("field_errors", pairs(value.asJsonArray), pairs(d.fieldErrors))
            "retry" -> {
                val r = value.asJsonObject
                org.junit.Assert.assertEquals("retry.type", r.str("type"), retryName(d.retry))
                org.junit.Assert.assertEquals("retry.ms", r.long("ms"), (d.retry as? RetryAdvice.After)?.ms)
            }
            else -> assertSubset(value, valueAt(d, key), "error.$key")
        }
    }
}
