//! FastAPI's path templates, checked at compile time and rewritten into the
//! router's syntax, so the app never parses a template at run time.

/// A checked template.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Template {
    /// The same path in the router's syntax (`{*rest}` for `{rest:path}`).
    pub(crate) router_path: String,
    /// The parameter names, in order.
    pub(crate) params: Vec<String>,
}

/// Parses `/items/{item_id}` and `/files/{file_path:path}`.
pub(crate) fn parse(path: &str) -> Result<Template, String> {
    if !path.starts_with('/') {
        return Err(format!("path must start with `/`: write \"/{path}\""));
    }
    let mut router_path = String::with_capacity(path.len());
    let mut params: Vec<String> = Vec::new();
    let segments: Vec<&str> = path[1..].split('/').collect();
    for (i, segment) in segments.iter().enumerate() {
        router_path.push('/');
        let Some(inner) = segment.strip_prefix('{') else {
            if segment.contains(['{', '}']) {
                return Err(format!(
                    "`{segment}`: a parameter must be a whole segment, as `/{{name}}`"
                ));
            }
            router_path.push_str(segment);
            continue;
        };
        let Some(inner) = inner.strip_suffix('}') else {
            return Err(format!(
                "`{segment}`: a parameter must be a whole segment, as `/{{name}}`"
            ));
        };
        let (name, convertor) = match inner.split_once(':') {
            Some((name, convertor)) => (name, Some(convertor)),
            None => (inner, None),
        };
        if !is_identifier(name) {
            return Err(format!(
                "`{{{inner}}}`: `{name}` is not a valid parameter name"
            ));
        }
        if params.iter().any(|p| p == name) {
            return Err(format!("parameter `{name}` appears twice in the path"));
        }
        match convertor {
            None => router_path.push_str(&format!("{{{name}}}")),
            Some("path") if i + 1 == segments.len() => {
                router_path.push_str(&format!("{{*{name}}}"))
            }
            Some("path") => {
                return Err(format!(
                    "`{{{name}:path}}` takes the rest of the path, so it must come last"
                ));
            }
            Some(other) => {
                return Err(format!(
                    "`{{{name}:{other}}}`: only `:path` is supported; the parameter's type decides how `{name}` is parsed"
                ));
            }
        }
        params.push(name.to_owned());
    }
    Ok(Template {
        router_path,
        params,
    })
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn templates_become_router_paths() {
        let cases = [
            ("/", "/", &[][..]),
            ("/items", "/items", &[][..]),
            ("/items/", "/items/", &[][..]),
            ("/items/{item_id}", "/items/{item_id}", &["item_id"][..]),
            ("/a/{x}/b/{y}", "/a/{x}/b/{y}", &["x", "y"][..]),
            (
                "/files/{file_path:path}",
                "/files/{*file_path}",
                &["file_path"][..],
            ),
        ];
        for (template, router_path, params) in cases {
            let parsed = parse(template).unwrap();
            assert_eq!(parsed.router_path, router_path, "{template}");
            assert_eq!(parsed.params, params, "{template}");
        }
    }

    #[test]
    fn bad_templates_are_refused() {
        for template in [
            "items",
            "/items/{id",
            "/items/id}",
            "/items/x{id}",
            "/items/{1d}",
            "/items/{}",
            "/{a}/{a}",
            "/{rest:path}/more",
            "/{id:int}",
        ] {
            assert!(parse(template).is_err(), "{template} should be refused");
        }
    }
}
