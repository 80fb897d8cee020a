"""Date formats per language (FORMAT_MODULE_PATH), over Django's own for the names pages use:
`date:"DATE_FORMAT"`, `"MONTH_DAY_FORMAT"`, `"DATETIME_FORMAT"`. English keeps the short
"4 Dec 2026"; Russian writes the month as Russian does, in the genitive and lower case
("4 декабря 2026"), where a fixed "j M Y" gave "4 Дек 2026"."""
