//! The JVM's way through an operation: a few C functions that take and return only integers
//! and byte arrays, which JNA passes without allocating anything (its direct mapping of `long`,
//! `int` and `byte[]`).
//!
//! Every uniffi call through JNA allocates native structures for its buffers (a `RustBuffer` per
//! record or string in or out), and Debian's JNA 5.13 records each allocation in a global map:
//! ~8 µs a structure, more when threads contend, which made the calls of one payment cost more
//! than the JVM's whole HTTP exchange. So the Kotlin client drives an operation's steps — the
//! response in, every request to send and what to do next out — through [`bcpay_steps`]. A payment
//! starts the same way ([`bcpay_start_payment`]: the operation, its deadline and its first steps in
//! one call, the payments in uniffi's own serialization); uniffi creates the other operations. How
//! it ended comes back in the same steps, in uniffi's own
//! serialization of [`crate::Action`], which the generated `FfiConverterTypeAction` reads: a
//! `CoreOperation.poll` for it was one more call with a `RustBuffer` per payment (~8–13 µs of the
//! calling thread's CPU when the caches are cold, as they are between HTTP exchanges; ~3–5 µs in
//! a tight loop). Swift calls uniffi's C functions directly and has no such cost.
//!
//! The operation is the uniffi object itself, by its handle (`uniffiCloneHandle()`, which is
//! `Arc::into_raw`, see uniffi's "object references"): borrowed by every call here, released once
//! by [`bcpay_operation_release`].
//!
//! # Encoding (little-endian)
//!
//! A text is a length (`u16`, or `u32` where it may be long) and UTF-8 bytes.
//!
//! - Steps out: records until the end. `S` a request to send: id, endpoint (its name), method,
//!   url (`u32`), header count (`u16`), then name and value (`u32`) per header, then the body: `0`,
//!   or `1` and its bytes (`u32`). Then one of `A` awaiting (request id), `W` wait (`i64` until
//!   ms), `D` done or `F` failed, then the `Action` (`Done` or `Failed`) in uniffi's serialization
//!   (`u32` length; big-endian inside, as uniffi writes it).
//! - A response in (`KIND_RESPONSE`): request id, status (`u16`), header count (`u16`), name and
//!   value (`u32`) per header, body (`u32`).
//! - A transport failure in (`KIND_FAILURE`): request id, failure (`u8`: `0` not sent, `1` maybe
//!   sent, `2` timed out), cause: `0`, or `1` and its text (`u32`).
//!
//! Header values and bodies hold the API token, a payment access token or card data: the
//! buffers here are wiped when freed (as every block is, see the allocator in `lib.rs`), and the
//! Kotlin client wipes its arrays.

use crate::{CoreApi, CoreOperation, lock};
use bcpay_core::http::{Header, HttpRequest, HttpResponse};
use bcpay_core::{Action, RequestId, TransportFailure};
use std::sync::Arc;
use zeroize::Zeroizing;

/// `bcpay_steps` with no input: poll.
pub const KIND_POLL: i32 = 0;
/// `bcpay_steps` with a response.
pub const KIND_RESPONSE: i32 = 1;
/// `bcpay_steps` with a transport failure.
pub const KIND_FAILURE: i32 = 2;
/// What `bcpay_steps` returns for input it cannot read, a null operation or a panic: a bug in
/// the caller, not an outcome.
pub const STEPS_REFUSED: i32 = i32::MIN;

/// Steps an operation: reports `input` (by `kind`) at `now_ms`, then writes every request to send
/// and what to do next into `out` (`out_cap` bytes). Returns the length written, or, when `out` is
/// too small, minus the length needed: the steps are kept for [`bcpay_steps_pending`].
///
/// # Safety
///
/// `operation` is a live handle of a `CoreOperation` (see the module); `input` points to
/// `input_len` readable bytes (or is null with 0), `out` to `out_cap` writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bcpay_steps(
    operation: u64,
    kind: i32,
    input: *const u8,
    input_len: i32,
    now_ms: i64,
    out: *mut u8,
    out_cap: i32,
) -> i32 {
    std::panic::catch_unwind(|| {
        // SAFETY: the caller's promises above.
        let (Some(op), Some(input), Some(out)) = (unsafe { borrowed(operation) }, unsafe { slice(input, input_len) }, unsafe {
            slice_mut(out, out_cap)
        }) else {
            return STEPS_REFUSED;
        };
        let now_ms = u64::try_from(now_ms).unwrap_or(0);
        let steps = {
            let mut core = lock(&op.op);
            let fed = match kind {
                KIND_POLL => Some(()),
                KIND_RESPONSE => read_response(input).map(|(id, response)| core.on_response(&id, &response, now_ms)),
                KIND_FAILURE => {
                    read_failure(input).map(|(id, failure, cause)| core.on_transport_failure(&id, failure, cause.as_deref(), now_ms))
                }
                _ => None,
            };
            if fed.is_none() {
                return STEPS_REFUSED;
            }
            write_steps(&mut core, now_ms, Writer::default())
        };
        hand_over(Some(op), steps, 0, out)
    })
    .unwrap_or(STEPS_REFUSED)
}

/// Starts a payment of `order_id` with the client's rate limiter, then steps it as
/// [`bcpay_steps`] polls: a client's `pay` in one call, instead of a uniffi call to create the
/// operation (with a `RustBuffer` for its payments), another for its deadline and a first poll.
///
/// `input` is the payments (`Vec<Payment>`) then the options (`Option<FlowOptions>`), each in
/// uniffi's serialization, as the generated `FfiConverterSequenceTypePayment` and
/// `FfiConverterOptionalTypeFlowOptions` write them. `observe` non-zero records the operation's
/// events from its start (`CoreOperation.observe`).
///
/// `out` receives a header, then the steps: the operation's handle (`u64`, an `Arc::into_raw` the
/// caller releases with [`bcpay_operation_release`]; `0` when the payment could not start), and
/// its deadline (`i64` ms, or -1 without one). A payment that could not start (bad input) ends in
/// the header's steps: `F` and the error. Returns the length written, or, when `out` is too small,
/// minus the length needed, with the header written: the steps are kept for
/// [`bcpay_steps_pending`], except a failure to start, which keeps nothing (nothing was sent:
/// start again with a bigger `out`).
///
/// # Safety
///
/// `api` is a live handle of a `CoreApi` (as for operations, see the module); `input` points to
/// `input_len` readable bytes, `out` to `out_cap` writable bytes, at least [`START_HEADER`].
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn bcpay_start_payment(
    api: u64,
    order_id: i64,
    input: *const u8,
    input_len: i32,
    observe: i32,
    now_ms: i64,
    out: *mut u8,
    out_cap: i32,
) -> i32 {
    std::panic::catch_unwind(|| {
        // SAFETY: the caller's promises above; a `CoreApi` handle is its `Arc::into_raw`.
        let (Some(api), Some(mut input), Some(out)) = (
            unsafe { (api as *const CoreApi).as_ref() },
            unsafe { slice(input, input_len) },
            unsafe { slice_mut(out, out_cap) },
        ) else {
            return STEPS_REFUSED;
        };
        if out.len() < START_HEADER {
            return STEPS_REFUSED;
        }
        let (Ok(payments), Ok(options)) = (
            <Vec<crate::Payment> as uniffi::Lift<crate::UniFfiTag>>::try_read(&mut input),
            <Option<crate::FlowOptions> as uniffi::Lift<crate::UniFfiTag>>::try_read(&mut input),
        ) else {
            return STEPS_REFUSED;
        };
        if !input.is_empty() {
            return STEPS_REFUSED;
        }
        let now = u64::try_from(now_ms).unwrap_or(0);
        let mut steps = Writer(Zeroizing::new(Vec::with_capacity(1024)));
        match api.new_flow(order_id, payments, options, now, None) {
            Ok(op) => {
                let steps = {
                    let mut core = lock(&op.op);
                    if observe != 0 {
                        core.observe();
                    }
                    steps.bytes(&(Arc::as_ptr(&op) as u64).to_le_bytes());
                    steps.bytes(&deadline_of(&core).to_le_bytes());
                    write_steps(&mut core, now, steps)
                };
                let written = hand_over(Some(&op), steps, START_HEADER, out);
                // The caller owns this reference from here, handle and all.
                let _ = Arc::into_raw(op);
                written
            }
            Err(error) => {
                steps.bytes(&0u64.to_le_bytes());
                steps.bytes(&(-1i64).to_le_bytes());
                hand_over(None, steps.ended(crate::Action::Failed { error }), START_HEADER, out)
            }
        }
    })
    .unwrap_or(STEPS_REFUSED)
}

/// The length of [`bcpay_start_payment`]'s header: the operation's handle and its deadline.
pub const START_HEADER: usize = 16;

/// Writes the steps kept by the last [`bcpay_steps`] that found its `out` too small into `out`:
/// the length written, or minus the length needed.
///
/// # Safety
///
/// As for [`bcpay_steps`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bcpay_steps_pending(operation: u64, out: *mut u8, out_cap: i32) -> i32 {
    std::panic::catch_unwind(|| {
        // SAFETY: the caller's promises.
        let (Some(op), Some(out)) = (unsafe { borrowed(operation) }, unsafe { slice_mut(out, out_cap) }) else {
            return STEPS_REFUSED;
        };
        let steps = std::mem::take(&mut *lock(&op.pending));
        hand_over(Some(op), steps, 0, out)
    })
    .unwrap_or(STEPS_REFUSED)
}

/// When the operation's time budget runs out (ms), or -1 without one.
///
/// # Safety
///
/// As for [`bcpay_steps`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bcpay_operation_deadline_ms(operation: u64) -> i64 {
    std::panic::catch_unwind(|| {
        // SAFETY: the caller's promise.
        let Some(op) = (unsafe { borrowed(operation) }) else { return -1 };
        deadline_of(&lock(&op.op))
    })
    .unwrap_or(-1)
}

/// Another handle of the operation, for uniffi's `CoreOperation(UniffiWithHandle, handle)` when
/// a started payment needs the object (to cancel it, or for its events).
///
/// # Safety
///
/// As for [`bcpay_steps`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bcpay_operation_clone(operation: u64) -> u64 {
    if operation == 0 {
        return 0;
    }
    // SAFETY: a live handle is an `Arc::into_raw` (the caller's promise): one more reference.
    unsafe { Arc::increment_strong_count(operation as *const CoreOperation) };
    operation
}

/// Releases a `CoreApi` handle the caller cloned for [`bcpay_start_payment`].
///
/// # Safety
///
/// `api` is a handle from `uniffiCloneHandle()`, released once, after its last use.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bcpay_api_release(api: u64) {
    if api != 0 {
        // SAFETY: the handle is an `Arc::into_raw` the caller owns and gives up here.
        drop(unsafe { Arc::from_raw(api as *const CoreApi) });
    }
}

/// Releases the handle the caller cloned for these calls.
///
/// # Safety
///
/// `operation` is a handle from `uniffiCloneHandle()`, released once, after its last use.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bcpay_operation_release(operation: u64) {
    if operation != 0 {
        // SAFETY: the handle is an `Arc::into_raw` the caller owns and gives up here.
        drop(unsafe { Arc::from_raw(operation as *const CoreOperation) });
    }
}

/// The operation behind a handle, borrowed for one call.
unsafe fn borrowed<'a>(handle: u64) -> Option<&'a CoreOperation> {
    // SAFETY: a live handle is a pointer from `Arc::into_raw`, kept alive by the caller.
    unsafe { (handle as *const CoreOperation).as_ref() }
}

unsafe fn slice<'a>(data: *const u8, len: i32) -> Option<&'a [u8]> {
    let len = usize::try_from(len).ok()?;
    if len == 0 {
        return Some(&[]);
    }
    // SAFETY: `data` points to `len` readable bytes (the caller's promise), checked non-null.
    (!data.is_null()).then(|| unsafe { std::slice::from_raw_parts(data, len) })
}

unsafe fn slice_mut<'a>(data: *mut u8, len: i32) -> Option<&'a mut [u8]> {
    let len = usize::try_from(len).ok()?;
    if len == 0 {
        return Some(&mut []);
    }
    // SAFETY: as for `slice`, writable.
    (!data.is_null()).then(|| unsafe { std::slice::from_raw_parts_mut(data, len) })
}

/// Copies `steps` into `out` and returns its length, or returns minus the length needed: then
/// the first `header` bytes are copied all the same, and the rest is kept for
/// [`bcpay_steps_pending`] (by `op`; without one, nothing is kept).
fn hand_over(op: Option<&CoreOperation>, mut steps: Writer, header: usize, out: &mut [u8]) -> i32 {
    let Ok(len) = i32::try_from(steps.0.len()) else {
        return STEPS_REFUSED;
    };
    match out.get_mut(..steps.0.len()) {
        Some(room) => {
            room.copy_from_slice(&steps.0);
            len
        }
        None => {
            out[..header].copy_from_slice(&steps.0[..header]);
            steps.0.drain(..header);
            if let Some(op) = op {
                *lock(&op.pending) = steps;
            }
            -len
        }
    }
}

/// An operation's deadline as the steps carry it: ms, or -1 without one.
fn deadline_of(core: &bcpay_core::Operation) -> i64 {
    core.deadline_ms().map_or(-1, |d| i64::try_from(d).unwrap_or(i64::MAX))
}

/// Polls `core` until it awaits, waits or ends, writing each step after what `steps` holds.
fn write_steps(core: &mut bcpay_core::Operation, now_ms: u64, mut steps: Writer) -> Writer {
    loop {
        match core.poll(now_ms) {
            Action::Send { request } => steps.send(&request),
            Action::Awaiting { request_id } => break steps.end(b'A', |w| w.text16(request_id.as_str())),
            Action::Wait { until_ms } => {
                break steps.end(b'W', |w| w.bytes(&i64::try_from(until_ms).unwrap_or(i64::MAX).to_le_bytes()));
            }
            ended @ (Action::Done { .. } | Action::Failed { .. }) => break steps.ended(crate::action(ended)),
        }
    }
}

/// The steps being written.
#[derive(Default)]
pub(crate) struct Writer(pub(crate) Zeroizing<Vec<u8>>);

impl Writer {
    fn bytes(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }

    fn text16(&mut self, text: &str) {
        let len = u16::try_from(text.len()).unwrap_or(u16::MAX);
        self.bytes(&len.to_le_bytes());
        self.bytes(&text.as_bytes()[..usize::from(len)]);
    }

    fn bytes32(&mut self, b: &[u8]) {
        self.bytes(&(b.len() as u32).to_le_bytes());
        self.bytes(b);
    }

    fn send(&mut self, request: &HttpRequest) {
        self.bytes(b"S");
        self.text16(request.id.as_str());
        self.text16(request.endpoint.as_str());
        self.text16(request.method.as_str());
        self.bytes32(request.url.as_bytes());
        self.bytes(&(request.headers.len() as u16).to_le_bytes());
        for h in &request.headers {
            self.text16(&h.name);
            self.bytes32(h.value.as_bytes());
        }
        match &request.body {
            Some(body) => {
                self.bytes(&[1]);
                self.bytes32(body);
            }
            None => self.bytes(&[0]),
        }
    }

    fn end(mut self, tag: u8, write: impl FnOnce(&mut Writer)) -> Writer {
        self.bytes(&[tag]);
        write(&mut self);
        self
    }

    /// `D` or `F`, then the outcome in uniffi's serialization.
    fn ended(self, outcome: crate::Action) -> Writer {
        let tag = if matches!(outcome, crate::Action::Done { .. }) {
            b'D'
        } else {
            b'F'
        };
        // Its output may hold a payment access token: wiped like the rest.
        let mut encoded = Zeroizing::new(Vec::new());
        <crate::Action as uniffi::Lower<crate::UniFfiTag>>::write(outcome, &mut encoded);
        self.end(tag, |w| w.bytes32(&encoded))
    }
}

/// Reads the encoding's fields in order; `None` once anything is missing or malformed.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Option<usize> {
        self.take(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }

    fn text16(&mut self) -> Option<&'a str> {
        let len = usize::from(self.u16()?);
        std::str::from_utf8(self.take(len)?).ok()
    }

    fn text32(&mut self) -> Option<&'a str> {
        let len = self.u32()?;
        std::str::from_utf8(self.take(len)?).ok()
    }

    fn bytes32(&mut self) -> Option<&'a [u8]> {
        let len = self.u32()?;
        self.take(len)
    }
}

fn read_response(input: &[u8]) -> Option<(RequestId, Zeroizing<HttpResponse>)> {
    let mut r = Reader(input);
    let id = RequestId(r.text16()?.to_owned());
    let status = r.u16()?;
    let count = r.u16()?;
    let mut headers = Vec::with_capacity(usize::from(count));
    for _ in 0..count {
        headers.push(Header::new(r.text16()?, r.text32()?));
    }
    let body = r.bytes32()?.to_vec();
    Some((id, Zeroizing::new(HttpResponse { status, headers, body })))
}

fn read_failure(input: &[u8]) -> Option<(RequestId, TransportFailure, Option<String>)> {
    let mut r = Reader(input);
    let id = RequestId(r.text16()?.to_owned());
    let failure = match r.u8()? {
        0 => TransportFailure::NotSent,
        1 => TransportFailure::MaybeSent,
        2 => TransportFailure::TimedOut,
        _ => return None,
    };
    let cause = match r.u8()? {
        0 => None,
        _ => Some(r.text32()?.to_owned()),
    };
    Some((id, failure, cause))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CallInput, ClientOptions, CoreApi};

    fn encode_response(id: &str, status: u16, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
        let mut w = Writer::default();
        w.text16(id);
        w.bytes(&status.to_le_bytes());
        w.bytes(&(headers.len() as u16).to_le_bytes());
        for (name, value) in headers {
            w.text16(name);
            w.bytes32(value.as_bytes());
        }
        w.bytes32(body);
        w.0.to_vec()
    }

    fn steps(handle: u64, kind: i32, input: &[u8], out_cap: usize) -> (i32, Vec<u8>) {
        let mut out = vec![0u8; out_cap];
        // SAFETY: a live handle, and slices of the lengths given.
        let n = unsafe {
            bcpay_steps(
                handle,
                kind,
                input.as_ptr(),
                input.len() as i32,
                0,
                out.as_mut_ptr(),
                out_cap as i32,
            )
        };
        (n, out)
    }

    /// The handle uniffi hands the foreign side for an object is its `Arc::into_raw`: the steps
    /// borrow it as such. A uniffi that changed this would fail here, not in a JVM.
    #[test]
    fn a_handle_is_the_objects_arc() {
        let api = CoreApi::new("abc123".into(), "t".into(), ClientOptions::default()).unwrap();
        let op = api.new_call(CallInput::GetOrder { order_id: 215 }, 0, None).unwrap();
        let handle = <Arc<CoreOperation> as uniffi::Lower<crate::UniFfiTag>>::lower(op.clone());
        // SAFETY: the handle just lowered, alive while `op` is.
        assert!(std::ptr::eq(unsafe { borrowed(handle.as_raw()) }.unwrap(), Arc::as_ptr(&op)));
        // SAFETY: released once: the lowering's reference.
        unsafe { bcpay_operation_release(handle.as_raw()) };
        assert_eq!(Arc::strong_count(&op), 1);
    }

    #[test]
    fn a_call_steps_out_its_request_then_ends() {
        let api = CoreApi::new("abc123".into(), "t".into(), ClientOptions::default()).unwrap();
        let op = api.new_call(CallInput::GetOrder { order_id: 215 }, 0, None).unwrap();
        let handle = <Arc<CoreOperation> as uniffi::Lower<crate::UniFfiTag>>::lower(op.clone()).as_raw();
        // Too small a buffer keeps the steps for `pending`.
        let (n, _) = steps(handle, KIND_POLL, &[], 4);
        assert!(n < 0);
        let mut out = vec![0u8; (-n) as usize];
        // SAFETY: as above.
        let m = unsafe { bcpay_steps_pending(handle, out.as_mut_ptr(), out.len() as i32) };
        assert_eq!(m, -n);
        let mut r = Reader(&out);
        assert_eq!(r.u8(), Some(b'S'));
        let id = r.text16().unwrap().to_owned();
        assert_eq!(r.text16(), Some("get_order"));
        assert_eq!(r.text16(), Some("GET"));
        assert!(r.text32().unwrap().ends_with("/stores/abc123/v2/orders/215"));
        let headers = r.u16().unwrap();
        for _ in 0..headers {
            r.text16().unwrap();
            r.text32().unwrap();
        }
        assert_eq!(r.u8(), Some(0), "no body");
        assert_eq!(r.u8(), Some(b'A'));
        assert_eq!(r.text16(), Some(id.as_str()));
        assert!(r.0.is_empty());
        let body = br#"{"id":215,"status_id":0,"total_inc_tax":"10.0000","billing_address":{}}"#;
        let (n, out) = steps(
            handle,
            KIND_RESPONSE,
            &encode_response(&id, 200, &[("x-request-id", "srv-1")], body),
            1024,
        );
        // `D`, then the outcome as uniffi serializes it, which is what the JVM reads.
        let mut r = Reader(&out[..n as usize]);
        assert_eq!(r.u8(), Some(b'D'));
        let mut encoded = r.bytes32().unwrap();
        assert!(r.0.is_empty());
        let outcome = <crate::Action as uniffi::Lift<crate::UniFfiTag>>::try_read(&mut encoded).unwrap();
        assert!(encoded.is_empty(), "the outcome fills its length exactly");
        match outcome {
            crate::Action::Done {
                output: crate::CallOutput::Order { order },
            } => assert_eq!(order.id, 215),
            other => panic!("not the order: {:?}", std::mem::discriminant(&other)),
        }
        // Handed over once: the operation has nothing more to say.
        assert!(matches!(op.poll(0), crate::Action::Failed { .. }));
        // Input that is not the encoding is refused, not guessed at.
        assert_eq!(steps(handle, KIND_RESPONSE, b"\x05\x00ab", 64).0, STEPS_REFUSED);
        assert_eq!(steps(handle, 9, &[], 64).0, STEPS_REFUSED);
        // SAFETY: null operation: refused without a dereference.
        assert_eq!(
            unsafe { bcpay_steps(0, KIND_POLL, std::ptr::null(), 0, 0, std::ptr::null_mut(), 0) },
            STEPS_REFUSED
        );
        // SAFETY: released once.
        unsafe { bcpay_operation_release(handle) };
    }

    fn start(api: &Arc<CoreApi>, payments: Vec<crate::Payment>, out_cap: usize) -> (i32, Vec<u8>) {
        let mut input = Vec::new();
        <Vec<crate::Payment> as uniffi::Lower<crate::UniFfiTag>>::write(payments, &mut input);
        <Option<crate::FlowOptions> as uniffi::Lower<crate::UniFfiTag>>::write(None, &mut input);
        let handle = <Arc<CoreApi> as uniffi::Lower<crate::UniFfiTag>>::lower(api.clone()).as_raw();
        let mut out = vec![0u8; out_cap];
        // SAFETY: a live handle (released below), and slices of the lengths given.
        let n = unsafe {
            bcpay_start_payment(
                handle,
                215,
                input.as_ptr(),
                input.len() as i32,
                0,
                0,
                out.as_mut_ptr(),
                out_cap as i32,
            )
        };
        // SAFETY: released once: the lowering's reference.
        unsafe { bcpay_api_release(handle) };
        (n, out)
    }

    /// A payment starts in one call: its handle, its deadline and its first steps (the methods
    /// and the token, beside each other), or, from bad input, the error and no operation.
    #[test]
    fn a_payment_starts_with_its_handle_deadline_and_first_steps() {
        let api = Arc::new(CoreApi::new("abc123".into(), "t".into(), ClientOptions::default()).unwrap());
        let (n, out) = start(&api, vec![crate::tests::card("4242424242424242")], 4096);
        assert!(n > START_HEADER as i32);
        let mut r = Reader(&out[..n as usize]);
        let handle = u64::from_le_bytes(r.take(8).unwrap().try_into().unwrap());
        assert_ne!(handle, 0);
        assert_eq!(
            i64::from_le_bytes(r.take(8).unwrap().try_into().unwrap()),
            -1,
            "no budget, no deadline"
        );
        let mut endpoints = Vec::new();
        while r.u8() == Some(b'S') {
            r.text16().unwrap();
            endpoints.push(r.text16().unwrap().to_owned());
            r.text16().unwrap();
            r.text32().unwrap();
            for _ in 0..r.u16().unwrap() {
                r.text16().unwrap();
                r.text32().unwrap();
            }
            if r.u8() == Some(1) {
                r.bytes32().unwrap();
            }
        }
        assert_eq!(endpoints, ["get_payment_methods", "create_payment_access_token"]);
        // The operation is alive behind its handle, and stepped with it.
        let (n, _) = steps(handle, KIND_POLL, &[], 64);
        assert!(n > 0);
        // SAFETY: the started operation's handle, released once (an order pays once at a time).
        unsafe { bcpay_operation_release(handle) };
        // Too small an `out` still gets the header; the steps wait for `pending`.
        let (n, out) = start(&api, vec![crate::tests::card("4242424242424242")], START_HEADER);
        assert!(n < -(START_HEADER as i32));
        let kept = u64::from_le_bytes(out[..8].try_into().unwrap());
        let mut rest = vec![0u8; (-n) as usize - START_HEADER];
        // SAFETY: a live handle and a slice of its length.
        assert_eq!(
            unsafe { bcpay_steps_pending(kept, rest.as_mut_ptr(), rest.len() as i32) },
            rest.len() as i32
        );
        assert_eq!(rest[0], b'S');
        // Bad input: no operation, the error in the steps.
        let (n, out) = start(&api, vec![], 4096);
        let mut r = Reader(&out[..n as usize]);
        assert_eq!(r.take(8), Some(&[0u8; 8][..]));
        assert_eq!(r.take(8), Some(&(-1i64).to_le_bytes()[..]));
        assert_eq!(r.u8(), Some(b'F'));
        let mut encoded = r.bytes32().unwrap();
        match <crate::Action as uniffi::Lift<crate::UniFfiTag>>::try_read(&mut encoded).unwrap() {
            crate::Action::Failed { error } => assert_eq!(error.details().kind, bcpay_core::ErrorKind::Validation),
            _ => panic!("not the validation error"),
        }
        // SAFETY: released once.
        unsafe { bcpay_operation_release(kept) };
        assert_eq!(Arc::strong_count(&api), 1, "the operations hold the api's parts, not the api");
    }
}
