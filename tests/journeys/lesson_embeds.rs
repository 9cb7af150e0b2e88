//! Every simulator a lesson embeds runs its preset to completion in place: opened in the
//! lesson, played at its fastest speed, finished at the engine's own cycle count (the same
//! setup run natively), its result check shown, and the address still the lesson's. Then the
//! homework lesson's model answers: every link in them lands on its lesson's section.

use std::time::Duration;

use course::Block;
use serde_json::Value;
use sim::units::Cycle;
use testbed_lab::simulation::SimForm;

use crate::support::{Browser, StaticServer, relative_dist};

/// Each embed: its lesson, its machine's name, its place among that machine's embeds in the
/// lesson, its arguments, and the cycle the engine reaches natively for them.
fn embeds() -> Vec<(String, &'static str, usize, String, u64)> {
    let course = testbed_lab::course_data::course().expect("the embedded course decodes");
    let mut out: Vec<(String, &'static str, usize, String, u64)> = Vec::new();
    for (lesson, block) in course.widget_cards() {
        let Block::SimCard(card) = block else {
            continue;
        };
        let machine =
            testbed_lab::simulation::machine(card.arch).expect("every embed names a machine");
        let setup = SimForm::from_query(machine, &card.args)
            .parse(machine)
            .expect("every embed's setup is valid");
        let mut session = machine.build(&setup).expect("every embed's setup builds");
        let _ = session.engine().run_until(Cycle(u64::MAX));
        assert!(session.engine().is_finished());
        let cycles = session.engine().now().0;
        let name = card.arch.name();
        let nth = out
            .iter()
            .filter(|(slug, arch, ..)| *slug == lesson.slug && *arch == name)
            .count();
        let args: Vec<String> = card.args.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out.push((lesson.slug.clone(), name, nth, args.join("&"), cycles));
    }
    out
}

#[tokio::test]
async fn every_embedded_simulator_runs_its_preset_to_the_engines_cycle_count_in_place() {
    let embeds = embeds();
    assert!(
        embeds.len() >= 12,
        "the lessons embed the simulators: {embeds:?}"
    );
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    for (slug, arch, nth, args, cycles) in &embeds {
        let at = format!("#/lessons/{slug}");
        browser.open(&format!("{}/{at}", server.origin)).await;
        browser.eval("location.reload(); return 0;").await;
        let selector = format!("[data-testid=sim-embed-{arch}]");
        browser
            .wait_until(
                &format!("the {arch} embed #{nth} of {slug}"),
                &format!("return document.querySelectorAll('{selector}').length > {nth};"),
            )
            .await;
        browser
            .eval(&format!(
                "const e = document.querySelectorAll('{selector}')[{nth}];
                 e.scrollIntoView({{ block: 'center' }});
                 e.querySelector('[data-testid=sim-embed-toggle]').click(); return 0;"
            ))
            .await;
        browser.wait_status("Ready").await;
        browser.fastest().await;
        browser.click("[data-testid=sim-play]").await;
        let status = browser
            .wait_for_prefix(
                "[data-testid=sim-status]",
                "Finished",
                Duration::from_secs(120),
                "[data-testid=sim-outcome]",
            )
            .await;
        let shown = browser.text_of("[data-testid=sim-cycle]").await;
        let result = browser
            .eval(
                "const r = document.querySelector('[data-testid=sim-result]'); return r ? r.textContent : '';",
            )
            .await;
        let result = result.as_str().unwrap_or_default().to_owned();
        println!("{slug}: {arch} #{nth} ({args}): {status}, cycle {shown}; {result}");
        assert_eq!(
            shown.trim(),
            cycles.to_string(),
            "{slug}'s {arch} embed #{nth} ({args}) ends where the engine does"
        );
        // Every machine but the GPU model computes values and checks them (the GPU model
        // is a timing model, with no result to check).
        assert!(
            result.starts_with("Correct")
                || result.starts_with("Timing only")
                || (*arch == "gpu" && result.is_empty()),
            "{slug}'s {arch} embed #{nth} ({args}) checks its result: {result:?}"
        );
        let hash = browser.eval("return location.hash;").await;
        assert_eq!(
            hash,
            Value::from(at.clone()),
            "the address stays the lesson's"
        );
    }
    browser.assert_console_clean().await;
    browser.close().await;
}

#[tokio::test]
async fn the_model_answers_links_land_on_their_sections() {
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    browser
        .open(&format!("{}/#/lessons/homework", server.origin))
        .await;
    browser
        .wait_until(
            "the model answers",
            "return !!document.getElementById('model-answers');",
        )
        .await;
    // The links between the "Model answers" heading and the next section's heading.
    let links = browser
        .eval(
            "const start = document.getElementById('model-answers');
             const end = document.getElementById('common-misconceptions');
             return [...document.querySelectorAll('main a[href^=\"#/lessons/\"]')]
               .filter(a => (start.compareDocumentPosition(a) & Node.DOCUMENT_POSITION_FOLLOWING)
                 && (!end || (end.compareDocumentPosition(a) & Node.DOCUMENT_POSITION_PRECEDING)))
               .map(a => a.getAttribute('href'));",
        )
        .await;
    let links: Vec<String> = serde_json::from_value(links).expect("hrefs");
    assert!(
        links.len() >= 10,
        "each claim links to its lesson section: {links:?}"
    );
    let mut distinct = links.clone();
    distinct.sort();
    distinct.dedup();
    for href in &distinct {
        // `#/lessons/<slug>?at=<anchor>`: the page scrolls the section into view.
        browser.open(&format!("{}/{href}", server.origin)).await;
        browser.eval("location.reload(); return 0;").await;
        let id = href.split("at=").nth(1).unwrap_or_default();
        browser
            .wait_until(
                &format!("{href} to render"),
                &format!(
                    "return !!document.querySelector('main h1') && !!document.getElementById({id:?});"
                ),
            )
            .await;
        let landed = browser
            .eval(&format!(
                "const href = {href:?};
                 const id = decodeURIComponent((href.split('at=')[1] || '').split('&')[0]);
                 return [!!document.querySelector('main h1'), id,
                         !!(id && document.getElementById(id))];"
            ))
            .await;
        println!("{href}: {landed}");
        assert_eq!(landed[0], Value::Bool(true), "{href} opens a lesson");
        assert_eq!(
            landed[2],
            Value::Bool(true),
            "{href} names a section that exists: {landed}"
        );
        browser
            .wait_until(
                &format!("{href}'s section in view"),
                &format!(
                    "const el = document.getElementById({:?});
                     const top = el.getBoundingClientRect().top;
                     return top >= 0 && top < window.innerHeight;",
                    landed[1].as_str().unwrap_or_default()
                ),
            )
            .await;
    }
    browser.close().await;
}
