//! The offline copy: registers the service worker (`sw.js`, from `src/scripts/sw.js`) and
//! follows it, so the page can say whether the site works offline and offer a new deployment.
//!
//! The worker keeps one whole build; a new deployment is saved beside it and waits. The page
//! then shows "a new version is ready" ([`OfflineStatus::UpdateReady`]); [`Offline::take_update`]
//! lets the new worker take over, and every open page of the site reloads onto it (a page never
//! runs half of one build and half of another). Where there are no service workers (an
//! insecure address, a browser setting) nothing is registered and the site works online.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use wasm_bindgen_futures::JsFuture;

use crate::files::asset_url;

/// The service worker's file, beside `index.html`: its folder is the worker's scope.
pub const SERVICE_WORKER_FILE: &str = "sw.js";
/// What the page posts to a waiting worker to let it take over (`sw.js` listens for it).
const TAKE_OVER_MESSAGE: &str = "testbed-lab: take over";
/// How often an open page asks the host for a new deployment (the browser also asks on
/// every visit).
const UPDATE_CHECK_EVERY: Duration = Duration::from_secs(60 * 60);

/// What this page knows of its offline copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OfflineStatus {
    /// No service workers here: the site works while online.
    Unavailable,
    /// The first copy is being saved.
    Saving,
    /// A whole build is saved: the site works without a network.
    Ready,
    /// Saving failed; the browser tries again on a later visit.
    Failed,
    /// A newer deployment is saved and waits for a reload.
    UpdateReady,
}

/// What the browser says about the worker, read after every change.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorkerFacts {
    /// A worker serves this page.
    pub controlled: bool,
    pub installing: bool,
    pub waiting: bool,
    pub active: bool,
}

impl OfflineStatus {
    /// The status the facts amount to. A waiting worker is an update only for a page that a
    /// worker serves (a page loaded past the worker came from the network: it is the newest).
    pub fn from_facts(facts: WorkerFacts) -> Self {
        if facts.waiting && facts.controlled {
            Self::UpdateReady
        } else if facts.active {
            Self::Ready
        } else if facts.installing || facts.waiting {
            Self::Saving
        } else {
            Self::Failed
        }
    }

    /// One sentence for the learner.
    pub fn sentence(self) -> &'static str {
        match self {
            Self::Unavailable => {
                "This browser cannot keep an offline copy here (service workers are turned off, or the site is not served over HTTPS): the site works while you are online."
            }
            Self::Saving => "Saving the site for offline use…",
            Self::Ready => {
                "Saved for offline use: the whole site, simulators and labs included, works without a network in this browser."
            }
            Self::Failed => {
                "The offline copy could not be saved (the network dropped or the browser's storage is full); the browser tries again on your next visit."
            }
            Self::UpdateReady => "A new version of the site is ready; reload to use it.",
        }
    }
}

/// The offline copy's state, in context for the update banner and `#/progress`.
#[derive(Clone, Copy, Debug)]
pub struct Offline {
    pub status: ReadSignal<OfflineStatus>,
    registration: StoredValue<Option<web_sys::ServiceWorkerRegistration>, LocalStorage>,
}

impl Offline {
    /// Lets a waiting new version take over; every page of the site then reloads onto it.
    pub fn take_update(&self) {
        let waiting = self.registration.with_value(|r| {
            r.as_ref()
                .and_then(web_sys::ServiceWorkerRegistration::waiting)
        });
        match waiting {
            Some(worker) => {
                let _ = worker.post_message(&TAKE_OVER_MESSAGE.into());
            }
            // Nothing waits any more (another tab took it): this page is behind, reload it.
            None => reload(),
        }
    }
}

/// The offline state in context (provided by the app).
///
/// # Panics
/// Outside the app (no [`provide_offline`] above).
pub fn use_offline() -> Offline {
    expect_context::<Offline>()
}

fn reload() {
    if let Some(window) = web_sys::window() {
        let _ = window.location().reload();
    }
}

fn service_workers() -> Option<web_sys::ServiceWorkerContainer> {
    let navigator = web_sys::window()?.navigator();
    // Absent in insecure contexts and some private windows; web-sys would assume it is there.
    let present = js_sys::Reflect::has(&navigator, &"serviceWorker".into()).unwrap_or(false);
    present.then(|| navigator.service_worker())
}

fn facts(
    container: &web_sys::ServiceWorkerContainer,
    registration: &web_sys::ServiceWorkerRegistration,
) -> WorkerFacts {
    WorkerFacts {
        controlled: container.controller().is_some(),
        installing: registration.installing().is_some(),
        waiting: registration.waiting().is_some(),
        active: registration.active().is_some(),
    }
}

/// Registers the service worker and puts [`Offline`] in context.
pub fn provide_offline() -> Offline {
    let (status, set_status) = signal(OfflineStatus::Saving);
    let registration = StoredValue::new_local(None);
    let offline = Offline {
        status,
        registration,
    };
    provide_context(offline);
    let Some(container) = service_workers() else {
        set_status.set(OfflineStatus::Unavailable);
        return offline;
    };
    let Ok(url) = asset_url(SERVICE_WORKER_FILE) else {
        set_status.set(OfflineStatus::Unavailable);
        return offline;
    };

    // A page a worker served reloads when another worker takes over (the learner asked for
    // the new version, here or in another tab). The first worker taking an unserved page
    // changes nothing: the page came from the network, and it is that build.
    let was_controlled = Rc::new(Cell::new(container.controller().is_some()));
    let on_controller_change = Closure::<dyn Fn()>::new({
        let was_controlled = Rc::clone(&was_controlled);
        move || {
            if was_controlled.replace(true) {
                reload();
            }
        }
    });
    container.set_oncontrollerchange(Some(on_controller_change.as_ref().unchecked_ref()));
    // The listeners live as long as the page (the app is mounted once).
    on_controller_change.forget();

    leptos::task::spawn_local(async move {
        let Ok(value) = JsFuture::from(container.register(&url)).await else {
            set_status.set(OfflineStatus::Unavailable);
            return;
        };
        let Ok(reg) = value.dyn_into::<web_sys::ServiceWorkerRegistration>() else {
            set_status.set(OfflineStatus::Unavailable);
            return;
        };
        registration.set_value(Some(reg.clone()));
        let refresh: Rc<dyn Fn()> = Rc::new({
            let container = container.clone();
            let reg = reg.clone();
            move || set_status.set(OfflineStatus::from_facts(facts(&container, &reg)))
        });
        let follow = {
            let refresh = Rc::clone(&refresh);
            move |worker: Option<web_sys::ServiceWorker>| {
                if let Some(worker) = worker {
                    let refresh = Rc::clone(&refresh);
                    let on_state = Closure::<dyn Fn()>::new(move || refresh());
                    worker.set_onstatechange(Some(on_state.as_ref().unchecked_ref()));
                    on_state.forget();
                }
            }
        };
        follow(reg.installing());
        follow(reg.waiting());
        let on_update_found = Closure::<dyn Fn()>::new({
            let reg = reg.clone();
            let refresh = Rc::clone(&refresh);
            move || {
                follow(reg.installing());
                refresh();
            }
        });
        reg.set_onupdatefound(Some(on_update_found.as_ref().unchecked_ref()));
        on_update_found.forget();
        let on_controller = Closure::<dyn Fn()>::new({
            let refresh = Rc::clone(&refresh);
            move || refresh()
        });
        let _ = container.add_event_listener_with_callback(
            "controllerchange",
            on_controller.as_ref().unchecked_ref(),
        );
        on_controller.forget();
        refresh();

        // Ask the host for a new deployment now and then while the page stays open; a failed
        // check (offline) is silent.
        let _ = set_interval_with_handle(
            move || {
                let reg = reg.clone();
                leptos::task::spawn_local(async move {
                    if let Ok(promise) = reg.update() {
                        let _ = JsFuture::from(promise).await;
                    }
                });
            },
            UPDATE_CHECK_EVERY,
        );
    });
    offline
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(facts: WorkerFacts, expected: OfflineStatus) {
        assert_eq!(OfflineStatus::from_facts(facts), expected, "{facts:?}");
    }

    #[test]
    fn facts_give_the_status() {
        let none = WorkerFacts::default();
        // First visit: installing, then active (served or not).
        check(
            WorkerFacts {
                installing: true,
                ..none
            },
            OfflineStatus::Saving,
        );
        check(
            WorkerFacts {
                active: true,
                ..none
            },
            OfflineStatus::Ready,
        );
        // A later visit while a new deployment is fetched: still the saved copy.
        let served = WorkerFacts {
            controlled: true,
            active: true,
            ..none
        };
        check(
            WorkerFacts {
                installing: true,
                ..served
            },
            OfflineStatus::Ready,
        );
        // The new deployment is saved: offer it.
        check(
            WorkerFacts {
                waiting: true,
                ..served
            },
            OfflineStatus::UpdateReady,
        );
        // A page loaded past the worker (from the network) is already the newest.
        check(
            WorkerFacts {
                waiting: true,
                active: true,
                ..none
            },
            OfflineStatus::Ready,
        );
        // Installing failed and nothing was saved before.
        check(none, OfflineStatus::Failed);
    }

    #[test]
    fn every_status_has_a_sentence() {
        for status in [
            OfflineStatus::Unavailable,
            OfflineStatus::Saving,
            OfflineStatus::Ready,
            OfflineStatus::Failed,
            OfflineStatus::UpdateReady,
        ] {
            assert!(status.sentence().ends_with(['.', '…']), "{status:?}");
        }
    }
}
