//! "A new version is ready — reload": shown when a new deployment of the site has been saved
//! beside the one this page runs (see `crate::offline`).

use leptos::prelude::*;

use crate::offline::{OfflineStatus, use_offline};

/// A bar above the site header while a new version waits; its button reloads every open page
/// of the site onto that version. The live region is always in the page (empty otherwise), so
/// a screen reader announces the notice when it appears.
#[component]
pub fn UpdateBanner() -> impl IntoView {
    let offline = use_offline();
    let ready = move || offline.status.get() == OfflineStatus::UpdateReady;
    view! {
        <div class="update-banner" role="status" data-testid="update-banner-region">
            <Show when=ready>
                <div class="update-banner__bar" data-testid="update-banner">
                    <p class="update-banner__text">"A new version is ready — reload to use it."</p>
                    <button
                        type="button"
                        class="update-banner__button"
                        data-testid="update-reload"
                        on:click=move |_| offline.take_update()
                    >
                        "Reload"
                    </button>
                </div>
            </Show>
        </div>
    }
}
