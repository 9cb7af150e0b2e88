//! Files in and out of the page: a download of generated text (Blob + object URL) and reading a
//! file the learner picked.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::ArrayBuffer;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use wasm_bindgen_futures::JsFuture;

/// Offers `text` as a download named `file_name` through `anchor`, a hidden `<a>` that stays in
/// the page: its `href` is a fresh object URL and its `download` the file name, then it is
/// clicked. The previous object URL of the anchor is revoked, so at most one is alive per anchor
/// (revoking right after the click can cancel the download in some browsers), and a test can
/// read the last download back through the anchor. The one download helper of the site.
///
/// # Errors
/// A sentence to show beside the button when the browser refuses to make the file.
pub fn download_text(
    anchor: &web_sys::HtmlAnchorElement,
    file_name: &str,
    mime: &str,
    text: &str,
) -> Result<(), String> {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    download_parts(anchor, file_name, mime, &parts)
}

/// [`download_text`] for bytes (weights files).
///
/// # Errors
/// As [`download_text`].
pub fn download_bytes(
    anchor: &web_sys::HtmlAnchorElement,
    file_name: &str,
    mime: &str,
    bytes: &[u8],
) -> Result<(), String> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    download_parts(anchor, file_name, mime, &parts)
}

fn download_parts(
    anchor: &web_sys::HtmlAnchorElement,
    file_name: &str,
    mime: &str,
    parts: &js_sys::Array,
) -> Result<(), String> {
    let refused = |_| "Your browser refused to create the file; try another browser.".to_owned();
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob =
        web_sys::Blob::new_with_blob_sequence_and_options(parts, &options).map_err(refused)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(refused)?;
    let previous = anchor.href();
    if previous.starts_with("blob:") {
        let _ = web_sys::Url::revoke_object_url(&previous);
    }
    anchor.set_href(&url);
    anchor.set_download(file_name);
    anchor.click();
    Ok(())
}

/// The largest file accepted as a progress file (real ones are a few kilobytes).
pub const MAX_READ_BYTES: f64 = 1_000_000.0;

/// Reads the first file picked in `input` as text and calls `done` once with it, or with a
/// sentence saying why it could not be read. Does nothing when no file is picked.
pub fn read_picked_file(
    input: &web_sys::HtmlInputElement,
    done: impl FnOnce(Result<String, String>) + 'static,
) {
    let Some(file) = input.files().and_then(|files| files.get(0)) else {
        return;
    };
    if file.size() > MAX_READ_BYTES {
        done(Err(format!(
            "“{}” is too large to be a progress file ({:.1} MB); pick the file the site exported.",
            file.name(),
            file.size() / 1e6
        )));
        return;
    }
    let unreadable = "This file could not be read; pick it again or try another file.";
    let Ok(reader) = web_sys::FileReader::new() else {
        done(Err(unreadable.to_owned()));
        return;
    };
    // `done` is called from the reader's callback, or here if reading cannot start.
    let done = Rc::new(RefCell::new(Some(done)));
    let finish = {
        let done = Rc::clone(&done);
        move |result: Result<String, String>| {
            if let Some(done) = done.borrow_mut().take() {
                done(result);
            }
        }
    };
    let reader_in_callback = reader.clone();
    let finish_in_callback = finish.clone();
    let on_load_end = Closure::once(move || {
        let text = reader_in_callback
            .result()
            .ok()
            .and_then(|value| value.as_string());
        finish_in_callback(text.ok_or_else(|| unreadable.to_owned()));
    });
    reader.set_onloadend(Some(on_load_end.as_ref().unchecked_ref()));
    // The reader holds the callback until it fires once; let it own it.
    on_load_end.forget();
    if reader.read_as_text(&file).is_err() {
        reader.set_onloadend(None);
        finish(Err(unreadable.to_owned()));
    }
}

/// The URL of a file of the build, relative to the page's base (so a relative build works
/// under any folder, and a `--public-url /course/` build under `/course/`).
///
/// # Errors
/// A page without a base address, or a path that does not resolve.
pub fn asset_url(path: &str) -> Result<String, String> {
    let base = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.base_uri().ok().flatten())
        .ok_or("the page has no base address")?;
    web_sys::Url::new_with_base(path, &base)
        .map(|u| u.href())
        .map_err(|_| format!("cannot resolve {path} against {base}"))
}

/// Fetches a file of the build (relative to the page's base) as bytes.
/// # Errors
/// A sentence when the file cannot be fetched or read.
pub async fn fetch_bytes(path: &str) -> Result<ArrayBuffer, String> {
    let url = asset_url(path)?;
    let window = web_sys::window().ok_or("no window")?;
    let response = JsFuture::from(window.fetch_with_str(&url))
        .await
        .map_err(|_| format!("{path} could not be fetched (is the site served over HTTP?)"))?;
    let response: web_sys::Response = response
        .dyn_into()
        .map_err(|_| format!("{path}: not an HTTP response"))?;
    if !response.ok() {
        return Err(format!(
            "{path} could not be loaded: HTTP {}",
            response.status()
        ));
    }
    let promise = response
        .array_buffer()
        .map_err(|_| format!("{path}: the body could not be read"))?;
    JsFuture::from(promise)
        .await
        .map_err(|_| format!("{path}: the body could not be read"))?
        .dyn_into::<ArrayBuffer>()
        .map_err(|_| format!("{path}: the body is not bytes"))
}

/// Reads a chosen file as bytes.
/// # Errors
/// A sentence when the browser cannot read it.
pub async fn read_file(file: &web_sys::File) -> Result<ArrayBuffer, String> {
    JsFuture::from(file.array_buffer())
        .await
        .map_err(|_| format!("{} could not be read", file.name()))?
        .dyn_into::<ArrayBuffer>()
        .map_err(|_| format!("{} could not be read", file.name()))
}
