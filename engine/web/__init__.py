"""``engage serve``: the web application for intake staff, the Board and policy authors.

One module per job: :mod:`.db` (the web tables in the decision-store database),
:mod:`.accounts` (accounts and password hashes), :mod:`.auth` (sessions, CSRF, failed
sign-ins, the role each page allows), :mod:`.drafts`, :mod:`.forms` (the request form
generated from the request schema), :mod:`.i18n` (every interface string), :mod:`.present`
(decisions and rules as the pages show them), :mod:`.app` (the application factory),
:mod:`.pages` (one module per page), :mod:`.tokens` (the API's bearer tokens) and :mod:`.api`
(the JSON API under ``/api/v1/``, its own application mounted beside the pages).

May import: every part below it (policy, evaluation, batches, log, report, authoring),
never ``engine.commands`` or ``engine.bench``.
"""
