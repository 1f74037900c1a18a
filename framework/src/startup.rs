//! What the app refuses to start with: mistakes only the assembled app
//! shows, read from its metadata. Each would otherwise be an error on
//! every request (state asked for but never given) or an ambiguity
//! (a route declared twice); each is named with where it was declared and
//! the fix.

use std::fmt;

use crate::meta::{DependencyInfo, MiddlewareInfo, ParamInfo, ParamSource, RouteInfo, StateType};

/// Why the app refused to start: every problem found, each naming the
/// route or middleware, its file and line, and the fix.
#[derive(Debug, Clone, PartialEq)]
pub struct StartupError {
    problems: Vec<String>,
}

impl StartupError {
    pub(crate) fn new(problems: Vec<String>) -> Self {
        StartupError { problems }
    }

    /// The problems, one sentence each.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }
}

impl fmt::Display for StartupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problems.as_slice() {
            [one] => write!(f, "the app cannot start: {one}"),
            many => {
                write!(f, "the app cannot start:")?;
                for problem in many {
                    write!(f, "\n  - {problem}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for StartupError {}

/// Finds what the routes and middleware ask for that the app lacks.
pub(crate) fn check(
    routes: &[RouteInfo],
    middleware: &[MiddlewareInfo],
    overrides: &[DependencyInfo],
    states: &[StateType],
    problems: &mut Vec<String>,
) {
    for route in routes {
        let asker = format!("route {}", route.origin());
        let mut path = Vec::new();
        for dependency in &route.dependencies {
            check_dependency(dependency, &asker, states, &mut path, problems);
        }
        check_params(&route.params, &asker, states, &mut path, problems);
        let bodies: Vec<&str> = route.body().map(|p| p.name).collect();
        if let [first, second, ..] = bodies.as_slice() {
            problems.push(format!(
                "{asker} takes two bodies, `{first}` and `{second}`: a route reads one body (`Json<T>`, `Form<T>` or `Bytes`)"
            ));
        }
    }
    for info in middleware {
        let asker = if info.file.is_empty() {
            format!("middleware `{}`", info.name)
        } else {
            format!("middleware `{}` in {}:{}", info.name, info.file, info.line)
        };
        check_params(&info.params, &asker, states, &mut Vec::new(), problems);
    }
    for dependency in overrides {
        let asker = format!(
            "the override `{}` in {}:{}",
            dependency.name, dependency.file, dependency.line
        );
        check_params(
            &dependency.params,
            &asker,
            states,
            &mut Vec::new(),
            problems,
        );
    }
}

fn check_params<'a>(
    params: &'a [ParamInfo],
    asker: &str,
    states: &[StateType],
    path: &mut Vec<&'a DependencyInfo>,
    problems: &mut Vec<String>,
) {
    for param in params {
        if let Some(state) = &param.state {
            if !states.iter().any(|s| s.id == state.id) && !problems_name(problems, asker, state) {
                let through = path
                    .iter()
                    .map(|d| format!(" through dependency `{}` in {}:{}", d.name, d.file, d.line))
                    .collect::<String>();
                let short = short_name(state.name);
                problems.push(format!(
                    "{asker} asks for `State<{short}>`{through}, but the app has no `{short}` state: register it with `App::new().state({short} {{ … }})`"
                ));
            }
        }
        if let (ParamSource::Dependency, Some(dependency)) = (param.source, &param.dependency) {
            check_dependency(dependency, asker, states, path, problems);
        }
    }
}

fn check_dependency<'a>(
    dependency: &'a DependencyInfo,
    asker: &str,
    states: &[StateType],
    path: &mut Vec<&'a DependencyInfo>,
    problems: &mut Vec<String>,
) {
    path.push(dependency);
    check_params(&dependency.params, asker, states, path, problems);
    path.pop();
}

/// Whether `asker` was already told about `state` (through another path).
fn problems_name(problems: &[String], asker: &str, state: &StateType) -> bool {
    let short = short_name(state.name);
    problems
        .iter()
        .any(|p| p.starts_with(asker) && p.contains(&format!("`State<{short}>`")))
}

/// `my_app::db::Pool` as written in code: `Pool` (generic arguments kept).
fn short_name(name: &str) -> &str {
    let base_end = name.find('<').unwrap_or(name.len());
    let start = name[..base_end].rfind("::").map_or(0, |i| i + 2);
    &name[start..]
}

#[cfg(test)]
mod tests {
    #[test]
    fn short_names_keep_only_the_last_segment() {
        assert_eq!(super::short_name("app::db::Pool"), "Pool");
        assert_eq!(super::short_name("Pool"), "Pool");
        assert_eq!(
            super::short_name("app::Cache<alloc::string::String>"),
            "Cache<alloc::string::String>"
        );
    }
}
