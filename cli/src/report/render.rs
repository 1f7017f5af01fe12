//! The page as HTML: [`super::page::Page`] rendered by the `report.html` template, with every
//! string escaped (the template's name ends in `.html`, so minijinja escapes for HTML).

use minijinja::Environment;

use super::page::Page;

/// The template's name; its `.html` suffix turns HTML escaping on.
const TEMPLATE: &str = "report.html";

/// The page as one self-contained HTML document.
pub fn render(page: &Page) -> Result<String, minijinja::Error> {
    let mut env = Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_filter("px", |v: f64| format!("{v:.1}"));
    env.add_filter("fixed", |v: f64, digits: usize| format!("{v:.digits$}"));
    env.add_template(TEMPLATE, include_str!("report.html"))?;
    env.get_template(TEMPLATE)?.render(page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::policy::PolicyView;
    use worker_policy::Evaluation;
    use worker_policy_model::generate::{generate, ClusterShape};
    use worker_policy_model::{Plan, Replication, Snapshot, Step, StepOp, WorkerState};

    fn policy() -> PolicyView {
        PolicyView {
            name: "test".into(),
            sha256: "ab".repeat(32),
            source: "<policy>.wasm".into(),
            version: "1".into(),
        }
    }

    fn cluster(zones: Vec<u32>, partitions: u32) -> Snapshot {
        let replication = Replication::parse("{zone: 3, node: 3}").unwrap();
        let mut shape = ClusterShape::new(zones, partitions, replication);
        shape.placed = true;
        generate(&shape)
    }

    /// The page for `before` and a plan that drains its first node and moves nothing.
    fn page(before: &Snapshot, reason: &str) -> String {
        let mut after = before.clone();
        after.nodes[0].worker_state = WorkerState::Draining;
        let plan = Plan {
            transitions: Vec::new(),
            steps: vec![Step {
                op: StepOp::SetLeader,
                partition: 0,
                node: before.nodes[1].id,
                reason: reason.into(),
            }],
        };
        let sides = vec![(policy(), Evaluation { plan, after })];
        render(&Page::new("snapshot line".into(), before, sides)).unwrap()
    }

    #[test]
    fn every_name_location_and_reason_is_escaped_and_nothing_is_fetched() {
        let mut before = cluster(vec![2, 2, 2], 6);
        before.nodes[0].name = "<script>alert(1)</script>".into();
        before.nodes[1].location = "<b>zone</b>.a".into();
        let html = page(&before, "see <a href=\"https://example.com/\">this</a>");
        assert!(!html.contains("<script"), "a script element came through");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"));
        assert!(!html.contains("<b>") && html.contains("&lt;b&gt;zone&lt;&#x2f;b&gt;"));
        assert!(!html.contains("<a ") && html.contains("&lt;a href="));
        assert!(html.contains("&lt;policy&gt;.wasm"));
        for tag in ["<link", "<iframe", "<img", "<object", "<embed"] {
            assert!(!html.contains(tag), "`{tag}` in the page");
        }
        let style = &html[html.find("<style>").unwrap()..html.find("</style>").unwrap()];
        for reference in ["url(", "@import", "http", "//"] {
            assert!(
                !style.contains(reference),
                "`{reference}` in the style sheet"
            );
        }
        for reference in ["src=", "href=", "url(", "@import", "http"] {
            for (i, _) in html.match_indices(reference) {
                assert!(
                    in_text(&html[..i]),
                    "`{reference}` outside escaped text at {i}"
                );
            }
        }
    }

    /// Whether the end of `head` is in text between tags, not inside a tag or its attributes.
    fn in_text(head: &str) -> bool {
        head.rfind('>') > head.rfind('<')
    }

    #[test]
    fn a_thousand_nodes_are_drawn_by_zone_and_the_page_stays_small() {
        let before = cluster(vec![334, 333, 333], 2000);
        assert_eq!(before.nodes.len(), 1000);
        let html = page(&before, "reason");
        assert!(html.contains("aggregated by zone"));
        assert!(html.len() < 2 << 20, "{} bytes", html.len());
        assert!(!html.contains("N1000"), "a node drawn one by one");
        assert!(
            html.contains(">N1 to draining</text>"),
            "the drained node's column"
        );
        for zone in ["r1.z1", "r1.z2", "r1.z3"] {
            assert!(html.contains(zone), "{zone} missing");
        }
    }

    #[test]
    fn a_few_nodes_are_drawn_one_by_one_with_their_band_and_the_figures() {
        let html = page(&cluster(vec![2, 2, 2], 6), "reason");
        assert!(!html.contains("aggregated by zone"));
        for text in [
            "N1 n1",
            "N6 n6",
            "class=\"band\"",
            "lower bound",
            "set-leader",
        ] {
            assert!(html.contains(text), "`{text}` missing");
        }
    }
}
