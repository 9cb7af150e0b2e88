//! Hash routing. The address is `index.html#/section/item?key=value`.
//!
//! Why the hash and not the path (see ARCHITECTURE.md): the site must work from any static
//! host, including `python3 -m http.server`, which has no fallback to index.html for a deep
//! link, and under any sub-path without a rebuild. With the route in the fragment, the server
//! only ever sees the folder holding index.html.
//!
//! Parsing is a plain function so native tests cover it.

use crate::catalog;

/// Where the learner is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    Home,
    Lessons,
    Lesson {
        slug: String,
    },
    Simulators,
    Simulator {
        arch: course::SimArch,
    },
    Labs,
    Lab {
        name: String,
    },
    /// One workload on every machine, side by side.
    Compare,
    /// One machine's compile of one workload, stage by stage.
    Compile,
    /// The learner's progress over the course, with export and import.
    Progress,
    NotFound {
        path: String,
    },
}

/// A parsed address: the route and its query (experiment settings, presets), in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub route: Route,
    pub query: Vec<(String, String)>,
}

impl Location {
    /// Parses `location.hash` (with or without the leading `#`).
    pub fn parse(hash: &str) -> Self {
        let hash = hash.strip_prefix('#').unwrap_or(hash);
        let (path, query) = hash.split_once('?').unwrap_or((hash, ""));
        Self {
            route: Route::parse(path),
            query: crate::query::parse(query),
        }
    }

    /// The first value of a query key.
    pub fn query_value(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

impl Route {
    /// Parses the path part of the fragment (`/lessons/cerebras-wse`).
    pub fn parse(path: &str) -> Self {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let owned = |s: &str| crate::query::percent_decode(s);
        match segments.as_slice() {
            [] => Self::Home,
            ["lessons"] => Self::Lessons,
            ["lessons", slug] => Self::Lesson { slug: owned(slug) },
            ["simulators"] => Self::Simulators,
            ["simulators", arch] => match course::SimArch::from_name(&owned(arch)) {
                Some(arch) => Self::Simulator { arch },
                None => Self::NotFound {
                    path: format!("/{}", segments.join("/")),
                },
            },
            ["labs"] => Self::Labs,
            ["labs", name] => Self::Lab { name: owned(name) },
            ["compare"] => Self::Compare,
            ["compile"] => Self::Compile,
            ["progress"] => Self::Progress,
            _ => Self::NotFound {
                path: format!("/{}", segments.join("/")),
            },
        }
    }

    /// The `href` that leads here (relative to the page, so it works under any sub-path).
    pub fn href(&self) -> String {
        match self {
            Self::Home => "#/".into(),
            Self::Lessons => "#/lessons".into(),
            Self::Lesson { slug } => format!("#/lessons/{slug}"),
            Self::Simulators => "#/simulators".into(),
            Self::Simulator { arch } => format!("#/simulators/{}", arch.name()),
            Self::Labs => "#/labs".into(),
            Self::Lab { name } => format!("#/labs/{name}"),
            Self::Compare => "#/compare".into(),
            Self::Compile => "#/compile".into(),
            Self::Progress => "#/progress".into(),
            Self::NotFound { path } => format!("#{path}"),
        }
    }

    /// The top-level section, for the navigation's `aria-current`.
    pub fn section(&self) -> Section {
        match self {
            Self::Home => Section::Home,
            Self::Lessons | Self::Lesson { .. } => Section::Lessons,
            Self::Simulators | Self::Simulator { .. } | Self::Compare | Self::Compile => {
                Section::Simulators
            }
            Self::Labs | Self::Lab { .. } => Section::Labs,
            Self::Progress => Section::Progress,
            Self::NotFound { .. } => Section::None,
        }
    }

    /// True when the route names something that exists in the catalogue.
    pub fn exists(&self) -> bool {
        match self {
            Self::Lesson { slug } => catalog::lesson(slug).is_some(),
            Self::Simulator { arch } => catalog::simulator(*arch).is_some(),
            Self::Lab { name } => catalog::lab(name).is_some(),
            Self::NotFound { .. } => false,
            Self::Home
            | Self::Lessons
            | Self::Simulators
            | Self::Compare
            | Self::Compile
            | Self::Labs
            | Self::Progress => true,
        }
    }

    /// The page title (without the site name).
    pub fn title(&self) -> String {
        if !self.exists() {
            return "Page not found".into();
        }
        match self {
            Self::Home => "AI accelerators, hands on".into(),
            Self::Lessons => "Lessons".into(),
            Self::Simulators => "Simulators".into(),
            Self::Labs => "Labs".into(),
            Self::Compare => "One workload on five machines".into(),
            Self::Compile => "The compile workflow, stage by stage".into(),
            Self::Progress => "Your progress".into(),
            Self::Lesson { slug } => {
                catalog::lesson(slug).map_or_else(String::new, |l| l.title.into())
            }
            Self::Simulator { arch } => catalog::simulator(*arch)
                .map_or_else(String::new, |s| format!("{} simulator", s.name)),
            Self::Lab { name } => catalog::lab(name).map_or_else(String::new, |l| l.title.into()),
            Self::NotFound { .. } => "Page not found".into(),
        }
    }

    /// The full `document.title`.
    pub fn document_title(&self) -> String {
        format!("{} · Testbed Lab", self.title())
    }
}

/// The navigation's sections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Home,
    Lessons,
    Simulators,
    Labs,
    Progress,
    None,
}

/// Writes `href` (a `#/…` address) into the address bar without a navigation or a history
/// entry, so a copied link reproduces a page's settings. Fires no `hashchange`.
pub fn replace_url(href: &str) {
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(href));
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    fn check(hash: &str, route: Route) {
        assert_eq!(Location::parse(hash).route, route, "parsing {hash:?}");
    }

    #[test]
    fn every_route_shape_parses() {
        check("", Route::Home);
        check("#", Route::Home);
        check("#/", Route::Home);
        check("#/lessons", Route::Lessons);
        check("#/lessons/", Route::Lessons);
        check(
            "#/lessons/cerebras-wse",
            Route::Lesson {
                slug: "cerebras-wse".into(),
            },
        );
        check(
            "#/simulators/wse",
            Route::Simulator {
                arch: course::SimArch::Wse,
            },
        );
        check("#/simulators", Route::Simulators);
        check("#/labs", Route::Labs);
        check("#/progress", Route::Progress);
        check("#/compile?machine=groq&preset=mlp", Route::Compile);
        check("#/progress/", Route::Progress);
        check(
            "#/progress/x",
            Route::NotFound {
                path: "/progress/x".into(),
            },
        );
        check(
            "#/labs/mnist?lr=0.05",
            Route::Lab {
                name: "mnist".into(),
            },
        );
        check(
            "#/nope",
            Route::NotFound {
                path: "/nope".into(),
            },
        );
        check(
            "#/lessons/a/b",
            Route::NotFound {
                path: "/lessons/a/b".into(),
            },
        );
    }

    #[test]
    fn href_round_trips_through_parse() {
        for route in [
            Route::Home,
            Route::Lessons,
            Route::Lesson {
                slug: "groq-tsp".into(),
            },
            Route::Simulators,
            Route::Simulator {
                arch: course::SimArch::Gpu,
            },
            Route::Compare,
            Route::Compile,
            Route::Labs,
            Route::Lab {
                name: "mnist".into(),
            },
            Route::Progress,
        ] {
            assert_eq!(Location::parse(&route.href()).route, route);
        }
    }

    #[test]
    fn query_keeps_order_and_decodes() {
        let loc = Location::parse("#/labs/mnist?model=cnn&lr=0.05&note=a%20b+c&flag");
        assert_eq!(loc.query_value("model"), Some("cnn"));
        assert_eq!(loc.query_value("lr"), Some("0.05"));
        assert_eq!(loc.query_value("note"), Some("a b c"));
        assert_eq!(loc.query_value("flag"), Some(""));
        assert_eq!(loc.query_value("missing"), None);
    }

    #[test]
    fn malformed_escapes_are_kept_not_panicked_on() {
        assert_eq!(crate::query::percent_decode("100%"), "100%");
        assert_eq!(crate::query::percent_decode("%zz"), "%zz");
        assert_eq!(crate::query::percent_decode("%4"), "%4");
        assert_eq!(crate::query::percent_decode("%e2%82%ac"), "€");
        assert_eq!(crate::query::percent_decode("%ff"), "\u{fffd}");
    }

    #[test]
    fn unknown_items_are_not_found_and_titled_so() {
        let lab = Route::Lab {
            name: "quantum".into(),
        };
        assert!(!lab.exists());
        assert_eq!(lab.title(), "Page not found");
        assert!(
            Route::Simulator {
                arch: course::SimArch::Wse
            }
            .exists()
        );
        assert!(Route::Progress.exists());
        assert_eq!(Route::Progress.title(), "Your progress");
        assert_eq!(Route::Progress.section(), Section::Progress);
        assert_eq!(
            Route::Home.document_title(),
            "AI accelerators, hands on · Testbed Lab"
        );
    }
}
