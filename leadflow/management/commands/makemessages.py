"""`makemessages` as this project runs it: one catalogue (locale/) for every app.

`manage.py makemessages -l ru` extracts from templates (.html, .txt) and Python, leaving out
tests, the bench and the soak, whose text no user reads, and drops messages no longer used. The
catalogue test (tests/test_translations.py) runs this same command on a copy of the tree.
"""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    def handle(self, *args, **options):
        options["ignore_patterns"] = [
            *options["ignore_patterns"],
            "var/*",
            "bench/*",
            "soak/*",
            "tests/*",
            "*/tests/*",
            "leadflow/testing/*",
            "node_modules/*",
        ]
        options["no_obsolete"] = True
        return super().handle(*args, **options)
