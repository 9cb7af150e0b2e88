//! The Web Worker side (wasm32 only), for every lab: reads which lab it serves from its own
//! address (`worker_loader.js?lab=mnist`), moves messages between `postMessage` and that lab's
//! [`WorkerSession`], and runs the session's work in slices of [`SLICE_MS`], yielding to the
//! event loop between slices so that a cancel or a query is answered at once.
//!
//! Yielding goes through a `MessageChannel` rather than `setTimeout(0)`, which browsers clamp
//! to 4 ms after a few nested calls (10 % of every 40 ms slice).

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, ArrayBuffer, Object, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageChannel, MessageEvent};

use super::bert::task::Bert;
use super::client::WorkerProtocol;
use super::homework::dp::{DpWorker, FromReplica, ReplicaSession, ToReplica};
use super::mnist::task::Mnist;
use super::protocol::{FromWorker, ToWorker, decode, encode};
use super::session::{WorkerSession, WorkerTask};
use crate::simulation::compare::{CompareSetup, CompareWorker, Comparison, FromCompare, ToCompare};
use crate::simulation::compile::{CompileSetup, every_machine};
use crate::simulation::predict::PredictRun;

/// Milliseconds of training per slice before the worker looks at its messages again.
pub const SLICE_MS: f64 = 40.0;

struct State<T: WorkerTask> {
    session: WorkerSession<T>,
    scope: DedicatedWorkerGlobalScope,
    tick_port: web_sys::MessagePort,
    scheduled: bool,
}

impl<T: WorkerTask> State<T> {
    fn now(&self) -> f64 {
        self.scope.performance().map_or(0.0, |p| p.now())
    }

    /// Posts `message`; a weights file goes beside the JSON as a transferred buffer.
    fn post(&self, message: &mut FromWorker<T>) {
        let bytes = message.take_bytes();
        let object = Object::new();
        let _ = Reflect::set(&object, &"json".into(), &encode(message).into());
        match bytes {
            Some(bytes) => {
                let buffer = js_sys::Uint8Array::from(bytes.as_slice()).buffer();
                let array = Array::of1(&buffer);
                let _ = Reflect::set(&object, &"bytes".into(), &array);
                let _ = self.scope.post_message_with_transfer(&object, &array);
            }
            None => {
                let _ = self.scope.post_message(&object);
            }
        }
    }

    fn schedule(&mut self) {
        if self.session.is_busy() && !self.scheduled {
            self.scheduled = true;
            let _ = self.tick_port.post_message(&JsValue::NULL);
        }
    }
}

/// The bytes of every `ArrayBuffer` in `data.bytes` (either side of a worker).
pub(crate) fn buffers(data: &JsValue) -> Vec<Vec<u8>> {
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

/// The lab named in the worker's address (`?lab=…`), MNIST when none is.
pub fn lab_from_search(search: &str) -> Option<&str> {
    let lab = search
        .trim_start_matches('?')
        .split('&')
        .find_map(|pair| pair.strip_prefix("lab="))
        .unwrap_or(<Mnist as WorkerProtocol>::NAME);
    [
        <Mnist as WorkerProtocol>::NAME,
        <Bert as WorkerProtocol>::NAME,
        <CompareWorker as WorkerProtocol>::NAME,
        <DpWorker as WorkerProtocol>::NAME,
    ]
    .into_iter()
    .find(|&name| name == lab)
}

/// The worker's entry point: pick the lab, listen, then say "ready".
pub fn start() {
    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    // `self.location.search`, read through Reflect (no web-sys feature for one string).
    let search = Reflect::get(&scope, &"location".into())
        .and_then(|location| Reflect::get(&location, &"search".into()))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    match lab_from_search(&search) {
        Some(name) if name == <Mnist as WorkerProtocol>::NAME => serve::<Mnist>(scope),
        Some(name) if name == <Bert as WorkerProtocol>::NAME => serve::<Bert>(scope),
        Some(name) if name == <CompareWorker as WorkerProtocol>::NAME => serve_compare(scope),
        Some(name) if name == <DpWorker as WorkerProtocol>::NAME => serve_replica(scope),
        _ => {
            let object = Object::new();
            let message = format!("This worker serves no lab called {search:?}.");
            let _ = Reflect::set(
                &object,
                &"json".into(),
                &encode(&FromWorker::<Mnist>::Error {
                    run_id: None,
                    message,
                })
                .into(),
            );
            let _ = scope.post_message(&object);
        }
    }
}

fn serve<T: WorkerTask>(scope: DedicatedWorkerGlobalScope) {
    let Ok(channel) = MessageChannel::new() else {
        return;
    };
    let state = Rc::new(RefCell::new(State::<T> {
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
            for mut message in out {
                s.post(&mut message);
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
            let out = match decode::<ToWorker<T>>(&json) {
                Ok(message) => {
                    let now = s.now();
                    let mut out = s.session.handle(message, buffers(&data), now);
                    // An answer carries the time it took, by the worker's clock.
                    let spent = s.now() - now;
                    for m in &mut out {
                        if let FromWorker::Answer { ms, .. } = m {
                            *ms = spent;
                        }
                    }
                    out
                }
                Err(e) => vec![FromWorker::Error {
                    run_id: None,
                    message: e.to_string(),
                }],
            };
            for mut message in out {
                s.post(&mut message);
            }
            s.schedule();
        })
    };
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();

    state.borrow().post(&mut FromWorker::Ready);
}

/// The simulation worker of the compare page and of predict questions: one comparison or
/// prediction run at a time, worked in slices of [`SLICE_MS`], its report (or progress, then
/// outcome) posted after every slice.
fn serve_compare(scope: DedicatedWorkerGlobalScope) {
    enum Work {
        Compare(Comparison),
        Predict(PredictRun),
    }
    impl Work {
        fn is_done(&self) -> bool {
            match self {
                Work::Compare(c) => c.is_done(),
                Work::Predict(p) => p.is_done(),
            }
        }
        /// One slice, and what to tell the page after it.
        fn step(&mut self, id: u32, clock: &mut dyn FnMut() -> f64) -> FromCompare {
            match self {
                Work::Compare(c) => {
                    c.step(SLICE_MS, clock);
                    FromCompare::Report {
                        id,
                        report: c.report(),
                    }
                }
                Work::Predict(p) => {
                    p.step(SLICE_MS, clock);
                    match p.outcome() {
                        None => FromCompare::Predicting {
                            id,
                            progress: p.progress(),
                        },
                        Some(Ok(outcome)) => FromCompare::Predicted { id, outcome },
                        Some(Err(message)) => FromCompare::Refused { id, message },
                    }
                }
            }
        }
    }
    struct Compare {
        scope: DedicatedWorkerGlobalScope,
        tick_port: web_sys::MessagePort,
        run: Option<(u32, Work)>,
        scheduled: bool,
    }
    impl Compare {
        fn post(&self, message: &FromCompare) {
            let object = Object::new();
            let _ = Reflect::set(&object, &"json".into(), &encode(message).into());
            let _ = self.scope.post_message(&object);
        }
        fn schedule(&mut self) {
            let busy = self.run.as_ref().is_some_and(|(_, w)| !w.is_done());
            if busy && !self.scheduled {
                self.scheduled = true;
                let _ = self.tick_port.post_message(&JsValue::NULL);
            }
        }
    }
    let Ok(channel) = MessageChannel::new() else {
        return;
    };
    let state = Rc::new(RefCell::new(Compare {
        scope: scope.clone(),
        tick_port: channel.port2(),
        run: None,
        scheduled: false,
    }));
    let on_tick = {
        let state = Rc::clone(&state);
        Closure::<dyn FnMut(MessageEvent)>::new(move |_: MessageEvent| {
            let mut s = state.borrow_mut();
            s.scheduled = false;
            let scope = s.scope.clone();
            let mut clock = move || scope.performance().map_or(0.0, |p| p.now());
            let report = s.run.as_mut().map(|(id, w)| w.step(*id, &mut clock));
            if let Some(report) = report {
                s.post(&report);
            }
            s.schedule();
        })
    };
    channel
        .port1()
        .set_onmessage(Some(on_tick.as_ref().unchecked_ref()));
    on_tick.forget();
    let on_message = {
        let state = Rc::clone(&state);
        Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let json = Reflect::get(&event.data(), &"json".into())
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default();
            let mut s = state.borrow_mut();
            match decode::<ToCompare>(&json) {
                Ok(ToCompare::Start { id, query }) => {
                    match CompareSetup::from_query(&crate::query::parse(&query)) {
                        Ok(setup) => {
                            let c = Comparison::new(setup);
                            s.post(&FromCompare::Report {
                                id,
                                report: c.report(),
                            });
                            s.run = Some((id, Work::Compare(c)));
                        }
                        Err(message) => {
                            s.run = None;
                            s.post(&FromCompare::Refused { id, message });
                        }
                    }
                }
                Ok(ToCompare::Predict { id, predict }) => match PredictRun::new(&predict) {
                    Ok(run) => {
                        s.post(&FromCompare::Predicting {
                            id,
                            progress: run.progress(),
                        });
                        s.run = Some((id, Work::Predict(run)));
                    }
                    Err(message) => {
                        s.run = None;
                        s.post(&FromCompare::Refused { id, message });
                    }
                },
                Ok(ToCompare::Compile { id, query }) => {
                    // One compile, done at once: at most about a second of this worker's
                    // time (the BERT layer on the IPU), never the page's.
                    let answer = CompileSetup::from_query(&crate::query::parse(&query))
                        .and_then(|setup| setup.compile());
                    s.post(&match answer {
                        Ok(report) => FromCompare::Compiled {
                            id,
                            report: Box::new(report),
                        },
                        Err(message) => FromCompare::Refused { id, message },
                    });
                }
                Ok(ToCompare::Shape {
                    id,
                    old_query,
                    new_query,
                }) => {
                    let setup = |q: &str| CompareSetup::from_query(&crate::query::parse(q));
                    s.post(
                        &match setup(&old_query).and_then(|a| Ok((a, setup(&new_query)?))) {
                            Ok((old, new)) => FromCompare::Shaped {
                                id,
                                machines: every_machine(&old, &new),
                            },
                            Err(message) => FromCompare::Refused { id, message },
                        },
                    );
                }
                Ok(ToCompare::Cancel { id }) => {
                    if s.run.as_ref().is_some_and(|(i, _)| *i == id) {
                        s.run = None;
                    }
                }
                Err(e) => s.post(&FromCompare::Refused {
                    id: 0,
                    message: e.to_string(),
                }),
            }
            s.schedule();
        })
    };
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    state.borrow().post(&FromCompare::Ready);
}

/// A data-parallel replica (the homework's SambaNova section): each page message is answered
/// at once by one message (a step's gradients as a transferred buffer, the end, the test
/// accuracy). There is no slicing: the page waits for every replica at each step anyway, and it
/// terminates the worker to stop a run.
fn serve_replica(scope: DedicatedWorkerGlobalScope) {
    fn post(scope: &DedicatedWorkerGlobalScope, message: &FromReplica, bytes: Option<Vec<u8>>) {
        let object = Object::new();
        let _ = Reflect::set(&object, &"json".into(), &encode(message).into());
        match bytes {
            Some(bytes) => {
                let buffer = Uint8Array::from(bytes.as_slice()).buffer();
                let array = Array::of1(&buffer);
                let _ = Reflect::set(&object, &"bytes".into(), &array);
                let _ = scope.post_message_with_transfer(&object, &array);
            }
            None => {
                let _ = scope.post_message(&object);
            }
        }
    }
    let session = Rc::new(RefCell::new(ReplicaSession::default()));
    let on_message = {
        let scope = scope.clone();
        Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let data = event.data();
            let json = Reflect::get(&data, &"json".into())
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default();
            let (reply, bytes) = match decode::<ToReplica>(&json) {
                Ok(message) => {
                    let clock_scope = scope.clone();
                    let mut clock = move || clock_scope.performance().map_or(0.0, |p| p.now());
                    session
                        .borrow_mut()
                        .handle(message, buffers(&data), &mut clock)
                }
                Err(e) => (
                    FromReplica::Error {
                        run_id: None,
                        message: e.to_string(),
                    },
                    None,
                ),
            };
            post(&scope, &reply, bytes);
        })
    };
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    post(&scope, &FromReplica::Ready, None);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worker_reads_its_lab_from_its_address() {
        assert_eq!(lab_from_search(""), Some("mnist"));
        assert_eq!(lab_from_search("?lab=mnist"), Some("mnist"));
        assert_eq!(lab_from_search("?v=2&lab=mnist"), Some("mnist"));
        assert_eq!(lab_from_search("?lab=bert"), Some("bert"));
        assert_eq!(lab_from_search("?lab=chess"), None);
        assert_eq!(lab_from_search("?lab=compare"), Some("compare"));
        assert_eq!(lab_from_search("?lab=dp"), Some("dp"));
    }
}
