//! The parameters form: the workload preset, the machine's own settings and the sizes. A
//! change applies at once (on `change`, i.e. when a field is left or Enter is pressed); the
//! page checks the values, rebuilds the run and writes them to the URL.

use leptos::prelude::*;

use crate::simulation::form::preset_fields;
use crate::simulation::{FieldKind, FieldSpec, Machine, Preset, SimForm};

/// The form for `machine`'s page.
#[component]
pub fn SimParamsForm(
    /// Which machine (its fields follow the workload's).
    machine: &'static dyn Machine,
    /// The values as typed.
    form: RwSignal<SimForm>,
    /// Called with the new values after every change.
    on_apply: Callback<SimForm>,
) -> impl IntoView {
    let preset = move || form.with(SimForm::preset);
    let fields = move || SimForm::fields_for(machine, preset().unwrap_or(Preset::Gemv));
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        on_apply.run(form.get_untracked());
    };
    let set = move |field: &'static FieldSpec, value: String| {
        let next = form.get_untracked().with_field(field, &value);
        form.set(next.clone());
        on_apply.run(next);
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
                            let next = form.get_untracked().with_preset(machine, p);
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
                                    {p.title()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
            <For
                each=fields
                key=|f| f.key
                children=move |field| {
                    let control = match field.kind {
                        FieldKind::Choice(options) => {
                            view! {
                                <select
                                    data-testid=format!("sim-param-{}", field.key)
                                    on:change=move |ev| set(field, event_target_value(&ev))
                                >
                                    {options
                                        .iter()
                                        .map(|(value, label)| {
                                            let value = *value;
                                            view! {
                                                <option
                                                    value=value
                                                    selected=move || form.with(|f| f.field(field) == value)
                                                >
                                                    {*label}
                                                </option>
                                            }
                                        })
                                        .collect_view()}
                                </select>
                            }
                                .into_any()
                        }
                        FieldKind::Size => {
                            view! {
                                <input
                                    type="text"
                                    inputmode="numeric"
                                    class="sim-form__input"
                                    data-testid=format!("sim-param-{}", field.key)
                                    prop:value=move || form.with(|f| f.field(field).to_string())
                                    on:change=move |ev| set(field, event_target_value(&ev))
                                />
                            }
                                .into_any()
                        }
                    };
                    view! {
                        <label class="sim-form__row">
                            <span class="sim-form__label">{field.label}</span>
                            {control}
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

/// The size fields of a preset as text inputs bound to `sizes` (key, text as typed), each
/// with the test id `{prefix}-{key}`: the compare and compile pages' sizes.
pub fn size_inputs(
    preset: Signal<Preset>,
    sizes: RwSignal<Vec<(&'static str, String)>>,
    prefix: &'static str,
) -> impl IntoView {
    move || {
        preset_fields(preset.get())
            .iter()
            .map(|f| {
                let key = f.key;
                view! {
                    <label class="sim-form__field">
                        <span class="sim-form__label">{f.label}</span>
                        <input
                            class="sim-form__input"
                            type="text"
                            inputmode="numeric"
                            data-testid=format!("{prefix}-{key}")
                            prop:value=move || {
                                sizes
                                    .with(|s| {
                                        s.iter()
                                            .find(|(k, _)| *k == key)
                                            .map(|(_, v)| v.clone())
                                            .unwrap_or_default()
                                    })
                            }
                            on:input=move |ev| {
                                let v = event_target_value(&ev);
                                sizes
                                    .update(|s| match s.iter_mut().find(|(k, _)| *k == key) {
                                        Some(e) => e.1 = v,
                                        None => s.push((key, v)),
                                    });
                            }
                        />
                    </label>
                }
            })
            .collect_view()
    }
}
