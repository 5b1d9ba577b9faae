"""URL rules that write their URL builders on first use.

werkzeug generates and compiles two URL-building functions for every rule it adds (Python code
through `ast`): for sfmock's 120-odd rules that was most of `create_app`, about 35 ms an org,
paid by every `mock_salesforce()` block, while only the Setup pages ever build a URL.
"""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.routing import Rule


class LazyBuilderRule(Rule):
    """A werkzeug Rule whose `_build`/`_build_unknown` are compiled when first called."""

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        name = "_build_unknown" if append_unknown else "_build"
        compile_now = super()._compile_builder

        def build(rule: Rule, *args: object, **kwargs: object) -> tuple[str, str]:
            real = compile_now(append_unknown).__get__(rule, None)
            setattr(rule, name, real)  # later calls go straight to werkzeug's builder
            return real(*args, **kwargs)

        return build
