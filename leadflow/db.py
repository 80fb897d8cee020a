"""Database helpers the apps share; no domain knowledge here."""

from __future__ import annotations

from django.db import connection
from django.db.models import Model


def bulk_update_columns(model: type[Model], objs: list[Model], names: list[str]) -> int:
    """Write the columns `names` of `objs` in one statement; the number of rows written.

    On PostgreSQL an `UPDATE … FROM (VALUES …)`, which costs about what the rows do; Django's
    `bulk_update` builds a CASE per column with a branch per row, which PostgreSQL evaluates for
    every row (quadratic: seconds for a thousand rows). Elsewhere, `bulk_update`.
    """
    if not objs:
        return 0
    if connection.vendor != "postgresql":
        return model.objects.bulk_update(objs, names)
    meta = model._meta
    fields = [meta.pk, *(meta.get_field(name) for name in names)]
    quote = connection.ops.quote_name
    # Field names and types come from the model, never from input.
    row = "(" + ", ".join(f"%s::{field.db_type(connection)}" for field in fields) + ")"
    columns = ", ".join(quote(field.column) for field in fields)
    sets = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in fields[1:])
    sql = (
        f"UPDATE {quote(meta.db_table)} AS t SET {sets} "
        f"FROM (VALUES {', '.join([row] * len(objs))}) AS v({columns}) "
        f"WHERE t.{quote(meta.pk.column)} = v.{quote(meta.pk.column)}"
    )
    params = [
        field.get_db_prep_save(getattr(obj, field.attname), connection)
        for obj in objs
        for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
