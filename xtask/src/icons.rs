//! `cargo xtask icons`: renders `public/icons/icon.svg` to the PNG sizes the web app manifest
//! lists, with headless Chromium (the browser the journeys use already renders SVG exactly as
//! the site shows it). The PNGs are committed, so a build needs no browser.

use std::path::Path;

use crate::proc::{cmd, run};
use crate::tools::{self, CHROMIUM, Needs};
use crate::{Result, project_root};

/// The square sizes `public/manifest.webmanifest` lists.
pub const SIZES: [u32; 2] = [192, 512];

pub fn render(args: &[String]) -> Result<()> {
    if let Some(extra) = args.first() {
        return Err(format!("`icons` takes no options (got `{extra}`)"));
    }
    tools::ensure_all(Needs {
        site: false,
        browser: true,
    })?;
    let icons = project_root().join("public").join("icons");
    let svg = icons.join("icon.svg");
    if !svg.is_file() {
        return Err(format!("{} is missing", svg.display()));
    }
    let work = std::env::temp_dir().join(format!("xtask-icons-{}", std::process::id()));
    std::fs::create_dir_all(&work).map_err(|e| format!("cannot create {}: {e}", work.display()))?;
    for size in SIZES {
        let png = icons.join(format!("icon-{size}.png"));
        render_one(&svg, size, &work, &png)?;
        println!("wrote {}", png.display());
    }
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}

fn render_one(svg: &Path, size: u32, work: &Path, png: &Path) -> Result<()> {
    let page = work.join(format!("icon-{size}.html"));
    let html = format!(
        "<!DOCTYPE html><html><head><style>html,body{{margin:0;background:transparent}}\
         img{{display:block;width:{size}px;height:{size}px}}</style></head>\
         <body><img src=\"file://{}\"></body></html>",
        svg.display()
    );
    std::fs::write(&page, html).map_err(|e| format!("cannot write {}: {e}", page.display()))?;
    run(cmd(CHROMIUM)
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--default-background-color=00000000",
        ])
        .arg(format!(
            "--user-data-dir={}",
            work.join("profile").display()
        ))
        .arg(format!("--window-size={size},{size}"))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", page.display())))?;
    if png.is_file() {
        Ok(())
    } else {
        Err(format!("Chromium wrote no {}", png.display()))
    }
}
