//! The page side of a lab's training worker: starts `worker_loader.js?lab=<name>` (which loads
//! the `worker` bin, serving that lab), queues messages until the worker says it is ready, and
//! hands every decoded [`FromWorker`] to a callback.
//!
//! The worker's address is resolved against `document.baseURI`, never written as an absolute
//! path, so it works in a relative build served under any folder and in a `--public-url
//! /course/` build alike.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, ArrayBuffer, Object, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, MessageEvent, Worker};

use crate::files::asset_url;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::protocol::{FromWorker, LabTask, ToWorker, decode, encode};

/// What a worker speaks: its name in the worker's address (`?lab=<name>`), the messages each
/// way (JSON), and which message says it is ready. Every lab speaks the lab envelope; the
/// compare page speaks its own.
pub trait WorkerProtocol: 'static {
    /// The name in the worker's address.
    const NAME: &'static str;
    /// The worker in words, for its failure sentences ("training worker").
    const WHAT: &'static str;
    /// Page → worker.
    type In: Serialize;
    /// Worker → page.
    type Out: DeserializeOwned;
    /// Whether `message` is the worker's first, "ready".
    fn is_ready(message: &Self::Out) -> bool;
    /// Gives `message` the buffers that came beside its JSON (none by default).
    fn attach_bytes(_message: &mut Self::Out, _buffers: Vec<Vec<u8>>) {}
}

impl<T: LabTask> WorkerProtocol for T {
    const NAME: &'static str = <T as LabTask>::NAME;
    const WHAT: &'static str = "training worker";
    type In = ToWorker<T>;
    type Out = FromWorker<T>;
    fn is_ready(message: &FromWorker<T>) -> bool {
        matches!(message, FromWorker::Ready)
    }
    fn attach_bytes(message: &mut FromWorker<T>, buffers: Vec<Vec<u8>>) {
        message.attach_bytes(buffers);
    }
}

/// The worker's loader (`src/bin/worker_loader.js`, copied by trunk beside the `worker` bin's
/// `worker.js` and `worker_bg.wasm`, whose names trunk never hashes).
pub const WORKER_SCRIPT: &str = "worker_loader.js";

struct Inner {
    ready: bool,
    queue: Vec<(String, Vec<ArrayBuffer>)>,
}

/// A running training worker for lab `T`. Dropping it terminates the worker.
pub struct WorkerClient<T: WorkerProtocol> {
    worker: Worker,
    inner: Rc<RefCell<Inner>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
    _lab: std::marker::PhantomData<T>,
}

impl<T: WorkerProtocol> std::fmt::Debug for WorkerClient<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerClient")
            .field("ready", &self.inner.borrow().ready)
            .finish_non_exhaustive()
    }
}

fn post(worker: &Worker, json: &str, buffers: &[ArrayBuffer]) {
    let object = Object::new();
    let _ = Reflect::set(&object, &"json".into(), &json.into());
    if buffers.is_empty() {
        let _ = worker.post_message(&object);
    } else {
        let array: Array = buffers.iter().collect();
        let _ = Reflect::set(&object, &"bytes".into(), &array);
        // Transferred, not copied: the page's copies become empty.
        let _ = worker.post_message_with_transfer(&object, &array);
    }
}

impl<T: WorkerProtocol> WorkerClient<T> {
    /// Starts the worker. `on_message` gets every message after `Ready` (which is handled
    /// here); `on_failure` a sentence if the worker cannot load or crashes.
    ///
    /// # Errors
    /// The browser refused to start a worker.
    pub fn spawn(
        on_message: impl Fn(T::Out) + 'static,
        on_failure: impl Fn(String) + 'static,
    ) -> Result<Self, String> {
        let url = asset_url(&format!("{WORKER_SCRIPT}?lab={}", T::NAME))?;
        let worker = Worker::new(&url)
            .map_err(|e| format!("The browser did not start the {}: {e:?}", T::WHAT))?;
        let inner = Rc::new(RefCell::new(Inner {
            ready: false,
            queue: Vec::new(),
        }));
        let on_failure: Rc<dyn Fn(String)> = Rc::new(on_failure);
        let on_message = {
            let inner = Rc::clone(&inner);
            let worker = worker.clone();
            let on_failure = Rc::clone(&on_failure);
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                let json = Reflect::get(&event.data(), &"json".into())
                    .ok()
                    .and_then(|v| v.as_string())
                    .unwrap_or_default();
                match decode::<T::Out>(&json) {
                    Ok(message) if T::is_ready(&message) => {
                        let queued = {
                            let mut inner = inner.borrow_mut();
                            inner.ready = true;
                            std::mem::take(&mut inner.queue)
                        };
                        for (json, buffers) in queued {
                            post(&worker, &json, &buffers);
                        }
                    }
                    Ok(mut message) => {
                        T::attach_bytes(&mut message, super::worker::buffers(&event.data()));
                        on_message(message);
                    }
                    Err(e) => on_failure(format!("The {} sent an {e}.", T::WHAT)),
                }
            })
        };
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |event: ErrorEvent| {
            event.prevent_default();
            on_failure(format!(
                "The {} stopped: {}. Reload the page to start it again.",
                T::WHAT,
                event.message()
            ));
        });
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Self {
            worker,
            inner,
            _on_message: on_message,
            _on_error: on_error,
            _lab: std::marker::PhantomData,
        })
    }

    /// Sends a message (queued until the worker is ready).
    pub fn send(&self, message: &T::In) {
        self.send_with_buffers(message, Vec::new());
    }

    /// Sends a message with buffers that are transferred to the worker.
    pub fn send_with_buffers(&self, message: &T::In, buffers: Vec<ArrayBuffer>) {
        let json = encode(message);
        let mut inner = self.inner.borrow_mut();
        if inner.ready {
            drop(inner);
            post(&self.worker, &json, &buffers);
        } else {
            inner.queue.push((json, buffers));
        }
    }
}

impl<T: WorkerProtocol> Drop for WorkerClient<T> {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}
