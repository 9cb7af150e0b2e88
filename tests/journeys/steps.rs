//! Steps every simulator journey takes, as a person would: wait for a state, choose the
//! fastest speed, type a setting, and watch the main thread while something runs.

use fantoccini::Locator;
use fantoccini::key::Key;
use serde_json::Value;

use crate::support::Browser;

/// What the main thread did while it was watched.
#[derive(Debug)]
pub struct MainThread {
    /// The longest task over 50 ms, in ms (0: none).
    pub longest_task: Value,
    /// The longest gap between two animation frames, in ms.
    pub longest_gap: Value,
}

impl Browser {
    /// Waits until the simulator's status reads `status` ("Ready", "Finished", "Paused").
    pub async fn wait_status(&self, status: &str) {
        self.wait_for_text("[data-testid=sim-status]", status).await;
    }

    /// Waits until the element `css` holds `part` somewhere in its text.
    pub async fn wait_for_part(&self, css: &str, part: &str) {
        let script = format!(
            "const e = document.querySelector({css:?}); return !!e && e.textContent.includes({part:?});"
        );
        self.wait_until(&format!("{css} to contain {part:?}"), &script)
            .await;
    }

    /// Picks the simulator's fastest speed, as a person would from the select.
    pub async fn fastest(&self) {
        self.eval(
            "const s = document.querySelector('[data-testid=sim-speed]');
             s.value = String(s.options.length - 1);
             s.dispatchEvent(new Event('change', { bubbles: true }));
             return s.value;",
        )
        .await;
    }

    /// Types `value` into the simulator's parameter field `key` and presses Enter.
    pub async fn set_param(&self, key: &str, value: &str) {
        let field = self
            .client
            .find(Locator::Css(&format!("[data-testid=sim-param-{key}]")))
            .await
            .unwrap_or_else(|e| panic!("field {key}: {e}"));
        field.clear().await.expect("clear");
        field
            .send_keys(&format!("{value}{}", char::from(Key::Enter)))
            .await
            .expect("type");
    }

    /// Starts recording the longest main-thread task (over 50 ms, from a `longtask`
    /// `PerformanceObserver`) and the longest gap between two animation frames.
    pub async fn watch_main_thread(&self) {
        self.eval(
            "window.__longest = 0; window.__gap = 0; window.__last = 0;
             new PerformanceObserver(l => { for (const e of l.getEntries())
               window.__longest = Math.max(window.__longest, e.duration); })
               .observe({ type: 'longtask', buffered: false });
             const tick = t => { if (window.__last) window.__gap = Math.max(window.__gap, t - window.__last);
               window.__last = t; requestAnimationFrame(tick); };
             requestAnimationFrame(tick); return 0;",
        )
        .await;
    }

    /// What the main thread did since [`Browser::watch_main_thread`].
    pub async fn main_thread(&self) -> MainThread {
        MainThread {
            longest_task: self.eval("return window.__longest;").await,
            longest_gap: self.eval("return window.__gap;").await,
        }
    }
}
