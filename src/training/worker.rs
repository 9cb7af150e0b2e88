//! The Web Worker side (wasm32 only): moves messages between `postMessage` and a
//! [`WorkerSession`], and runs the session's work in slices of [`SLICE_MS`], yielding to the
//! event loop between slices so that a cancel or a predict request is answered at once.
//!
//! Yielding goes through a `MessageChannel` rather than `setTimeout(0)`, which browsers clamp
//! to 4 ms after a few nested calls (10 % of every 40 ms slice).

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, ArrayBuffer, Object, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageChannel, MessageEvent};

use super::protocol::{FromWorker, ToWorker, decode, encode};
use super::session::WorkerSession;

/// Milliseconds of training per slice before the worker looks at its messages again.
pub const SLICE_MS: f64 = 40.0;

struct State {
    session: WorkerSession,
    scope: DedicatedWorkerGlobalScope,
    tick_port: web_sys::MessagePort,
    scheduled: bool,
}

impl State {
    fn now(&self) -> f64 {
        self.scope.performance().map_or(0.0, |p| p.now())
    }

    fn post(&self, message: &FromWorker) {
        let object = Object::new();
        let _ = Reflect::set(&object, &"json".into(), &encode(message).into());
        let _ = self.scope.post_message(&object);
    }

    fn schedule(&mut self) {
        if self.session.is_busy() && !self.scheduled {
            self.scheduled = true;
            let _ = self.tick_port.post_message(&JsValue::NULL);
        }
    }
}

/// The bytes of every `ArrayBuffer` in `data.bytes`.
fn buffers(data: &JsValue) -> Vec<Vec<u8>> {
    Reflect::get(data, &"bytes".into())
        .ok()
        .filter(Array::is_array)
        .map(|v| {
            Array::from(&v)
                .iter()
                .filter_map(|b| b.dyn_into::<ArrayBuffer>().ok())
                .map(|b| Uint8Array::new(&b).to_vec())
                .collect()
        })
        .unwrap_or_default()
}

/// The worker's entry point: listen, then say "ready".
pub fn start() {
    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let Ok(channel) = MessageChannel::new() else {
        return;
    };
    let state = Rc::new(RefCell::new(State {
        session: WorkerSession::new(),
        scope: scope.clone(),
        tick_port: channel.port2(),
        scheduled: false,
    }));

    let on_tick = {
        let state = Rc::clone(&state);
        Closure::<dyn FnMut(MessageEvent)>::new(move |_: MessageEvent| {
            let mut s = state.borrow_mut();
            s.scheduled = false;
            let scope = s.scope.clone();
            let mut clock = move || scope.performance().map_or(0.0, |p| p.now());
            let out = s.session.work(&mut clock, SLICE_MS);
            for message in &out {
                s.post(message);
            }
            s.schedule();
        })
    };
    channel
        .port1()
        .set_onmessage(Some(on_tick.as_ref().unchecked_ref()));
    on_tick.forget(); // lives as long as the worker

    let on_message = {
        let state = Rc::clone(&state);
        Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let data = event.data();
            let mut s = state.borrow_mut();
            let json = Reflect::get(&data, &"json".into())
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default();
            let out = match decode::<ToWorker>(&json) {
                Ok(message) => {
                    let now = s.now();
                    s.session.handle(message, buffers(&data), now)
                }
                Err(e) => vec![FromWorker::Error {
                    run_id: None,
                    message: e.to_string(),
                }],
            };
            for message in &out {
                s.post(message);
            }
            s.schedule();
        })
    };
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();

    state.borrow().post(&FromWorker::Ready);
}
