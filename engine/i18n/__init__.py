"""Languages: which ones Engage speaks, their catalogues, and their dates, numbers and plurals.

The languages and the choice among them (``languages``: ``LANGUAGES``, ``check_language``,
``negotiate`` for an Accept-Language header), the gettext catalogues of the fixed words of every
part (``catalogues``: ``translations(domain, lang)``, read from ``engine/locale/<lang>/LC_MESSAGES/
<domain>.mo``, compiled at build time, else from the ``.po`` beside it), and dates and numbers
written the way each language writes them, through Babel and CLDR (``formats``).

May import: ``engine.errors`` only.  It is the lowest part: every other part may import it.
"""
