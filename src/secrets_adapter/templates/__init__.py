"""Templates: config files (an nginx include, a ``.pgpass``, a JSON config) rendered from secrets.

``render_template`` renders one template through an adapter; ``write_atomically`` writes a file
whole and private; ``TemplateRenderer`` keeps rendered files current as secrets rotate.
``secrets-adapter render`` is the command-line face. Needs ``pip install
'secrets-adapter[templates]'`` (Jinja2).
"""

from secrets_adapter.templates.engine import Rendering, pgpass_field, render_template
from secrets_adapter.templates.output import write_atomically
from secrets_adapter.templates.watcher import TemplateJob, TemplateRenderer

__all__ = [
    "Rendering",
    "TemplateJob",
    "TemplateRenderer",
    "pgpass_field",
    "render_template",
    "write_atomically",
]
