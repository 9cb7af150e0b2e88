//! The parameters form: preset, machine and sizes. A change applies at once (on `change`,
//! i.e. when a field is left or Enter is pressed); the page checks the values, rebuilds the
//! run and writes them to the URL.

use leptos::prelude::*;

use crate::pages::simulator::params::{Arch, Field, GpuMachine, Preset, SimForm};

/// The form for `arch`'s page.
#[component]
pub fn SimParamsForm(
    /// Which page (the WSE shows mesh sizes, the GPU a machine).
    arch: Arch,
    /// The values as typed.
    form: RwSignal<SimForm>,
    /// Called with the new values after every change.
    on_apply: Callback<SimForm>,
) -> impl IntoView {
    let preset = move || form.with(|f| Preset::parse(&f.preset));
    let fields = move || Field::for_page(arch, preset().unwrap_or(Preset::Gemv));
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        on_apply.run(form.get_untracked());
    };
    view! {
        <form class="sim-panel sim-form" data-testid="sim-form" on:submit=on_submit>
            <h2 class="sim-panel__title">"Parameters"</h2>
            <label class="sim-form__row">
                <span class="sim-form__label">"Workload"</span>
                <select
                    data-testid="sim-param-preset"
                    on:change=move |ev| {
                        if let Some(p) = Preset::parse(&event_target_value(&ev)) {
                            let next = form.get_untracked().with_preset(p);
                            form.set(next.clone());
                            on_apply.run(next);
                        }
                    }
                >
                    {Preset::ALL
                        .iter()
                        .map(|p| {
                            let p = *p;
                            view! {
                                <option value=p.as_str() selected=move || preset() == Some(p)>
                                    {p.label()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
            {(arch == Arch::Gpu)
                .then(|| {
                    view! {
                        <label class="sim-form__row">
                            <span class="sim-form__label">"GPU"</span>
                            <select
                                data-testid="sim-param-machine"
                                on:change=move |ev| {
                                    let mut next = form.get_untracked();
                                    next.machine = event_target_value(&ev);
                                    form.set(next.clone());
                                    on_apply.run(next);
                                }
                            >
                                {GpuMachine::ALL
                                    .iter()
                                    .map(|m| {
                                        let m = *m;
                                        view! {
                                            <option
                                                value=m.as_str()
                                                selected=move || form.with(|f| f.machine == m.as_str())
                                            >
                                                {m.label()}
                                            </option>
                                        }
                                    })
                                    .collect_view()}
                            </select>
                        </label>
                    }
                })}
            <For
                each=fields
                key=|f| f.key()
                children=move |field| {
                    view! {
                        <label class="sim-form__row">
                            <span class="sim-form__label">{field.label()}</span>
                            <input
                                type="text"
                                inputmode="numeric"
                                class="sim-form__input"
                                data-testid=format!("sim-param-{}", field.key())
                                prop:value=move || form.with(|f| f.field(field).to_string())
                                on:change=move |ev| {
                                    let next = form.get_untracked().with_field(field, &event_target_value(&ev));
                                    form.set(next.clone());
                                    on_apply.run(next);
                                }
                            />
                        </label>
                    }
                }
            />
            <button type="submit" class="sim-button" data-testid="sim-apply">
                "Apply"
            </button>
        </form>
    }
}
