import random
import time

from django.core.management.base import BaseCommand, CommandError

from demo.seed import DemoRefused, LeadsExist, demo_seed
from demo.work import REPORT_WEEKS

SKIPPED = "The database already has leads; --if-empty leaves it as it is."


class Command(BaseCommand):
    help = (
        "Fill an empty database with demo staff, territories, campaigns and leads whose stage "
        "histories spread over the last weeks. Refuses if any lead exists."
    )

    def add_arguments(self, parser):
        parser.add_argument("--leads", type=int, default=5000, help="Leads to make (5000).")
        parser.add_argument("--weeks", type=int, default=26, help="Weeks of history (26).")
        parser.add_argument(
            "--seed", type=int, default=None, help="Same seed, same demo. Default: a random one."
        )
        parser.add_argument(
            "--reports",
            type=int,
            default=REPORT_WEEKS,
            help=f"Weekly reports to build: the last complete weeks ({REPORT_WEEKS}; 0 for none).",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Succeed without seeding when leads exist (for `make run`), instead of failing.",
        )

    def handle(self, *args, leads, weeks, seed, reports, if_empty, **options):
        if leads < 1 or weeks < 1:
            raise CommandError("--leads and --weeks must be at least 1.")
        if reports < 0:
            raise CommandError("--reports cannot be negative.")
        if seed is None:
            seed = random.SystemRandom().randrange(1_000_000)
        started = time.monotonic()

        def progress(done, total):
            elapsed = time.monotonic() - started
            self.stdout.write(f"  {done:,} / {total:,} leads ({elapsed:.1f} s, --seed {seed})")

        try:
            result = demo_seed(
                leads=leads, weeks=weeks, seed=seed, progress=progress, reports=reports
            )
        except LeadsExist as exc:
            if if_empty:
                self.stdout.write(SKIPPED)
                return
            raise CommandError(str(exc)) from exc
        except DemoRefused as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.monotonic() - started
        self.stdout.write("Leads by current stage:")
        for stage, count in result.stages.items():
            self.stdout.write(f"  {stage:<14}{count:>10,}")
        for username, stages in result.logins.items():
            work = ", ".join(f"{count} in {stage.upper()}" for stage, count in stages.items())
            self.stdout.write(f"Work for the demo login {username}: {work}.")
        if result.reports:
            self.stdout.write(f"Weekly reports built: {', '.join(result.reports)}.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {result.leads:,} leads and {result.transitions:,} stage transitions "
                f"in {elapsed:.1f} s (seed {seed})."
            )
        )
