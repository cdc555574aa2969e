"""Merge the duplicates that parallel runs of 18.0.1.0.0 could make, so that an upgrade can
create the unique indexes on a contact's Hotmart buyer e-mail and on a product's Hotmart id.

Plain functions taking a cursor: the pre-migration script runs them before the models'
``init()`` creates the indexes, and the tests run the same ones.
"""

import logging

from psycopg2 import IntegrityError
from psycopg2.errors import UniqueViolation

from odoo import SUPERUSER_ID, api
from odoo.tools import SQL, groupby
from odoo.tools.sql import column_exists, table_exists

_logger = logging.getLogger(__name__)

# (table, column) describing a product's variants: they stay with the archived duplicate,
# whose archived variants they describe.
VARIANT_STRUCTURE = {
    ("product_product", "product_tmpl_id"),
    ("product_template_attribute_line", "product_tmpl_id"),
    ("product_template_attribute_value", "product_tmpl_id"),
    ("product_template_attribute_exclusion", "product_tmpl_id"),
    ("product_variant_combination", "product_product_id"),
}


def merge_duplicates(cr):
    """Merge the contacts sharing a Hotmart buyer e-mail and the products sharing a Hotmart
    id in one company; nothing happens on a database without them."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    env.flush_all()
    merge_duplicate_buyers(env)
    merge_duplicate_products(env)
    env.invalidate_all()


# contacts -----------------------------------------------------------------


def merge_duplicate_buyers(env):
    """One contact per buyer e-mail, compared trimmed and in lower case as the connector
    writes it. The survivor is the oldest active contact (the connector's own pick), else the
    oldest, a staff one only when all are; the others are merged into it and archived, or
    only lose the e-mail when they cannot be merged."""
    cr = env.cr
    if not column_exists(cr, "res_partner", "hotmart_buyer_email"):
        return
    merged, unclaimed, survivors = {}, [], set()
    for survivor, *others in _duplicate_buyer_groups(cr):
        survivors.add(survivor["id"])
        for other in others:
            if _mergeable_partner(survivor, other):
                merged[other["id"]] = survivor["id"]
            else:
                unclaimed.append(other["id"])
    if not survivors:
        return
    _move_references(cr, "res_partner", merged)
    _move_partner_reference_fields(env, merged)
    cr.execute(
        SQL(
            "UPDATE res_partner SET hotmart_buyer_email = NULL WHERE id = ANY(%s)",
            [*merged, *unclaimed],
        )
    )
    cr.execute(SQL("UPDATE res_partner SET active = false WHERE id = ANY(%s)", list(merged)))
    _normalize_buyer_emails(cr, survivors)
    _logger.info(
        "Merged %d duplicate Hotmart buyer contacts into %d ({survivor: merged}: %s); "
        "cleared the buyer e-mail of %d contacts that cannot be merged (of a user or company, "
        "or of another company): %s",
        len(merged),
        len(set(merged.values())),
        _by_survivor(merged),
        len(unclaimed),
        sorted(unclaimed),
    )


def _duplicate_buyer_groups(cr):
    """Lists of contacts sharing a buyer e-mail, survivor first, each a dict: id,
    company_id and staff (a user's or a company's own contact: the connector never gives it
    a buyer's sales, and Odoo merges none)."""
    cr.execute("""
        SELECT id, company_id, staff, email_key
          FROM (
            SELECT p.id, p.company_id, p.active,
                   EXISTS (SELECT 1 FROM res_users u WHERE u.partner_id = p.id)
                   OR EXISTS (SELECT 1 FROM res_company c WHERE c.partner_id = p.id) AS staff,
                   lower(trim(p.hotmart_buyer_email)) AS email_key,
                   count(*) OVER (PARTITION BY lower(trim(p.hotmart_buyer_email))) AS copies
              FROM res_partner p
             WHERE p.hotmart_buyer_email IS NOT NULL
          ) buyers
         WHERE copies > 1
         ORDER BY email_key, staff, active DESC, id
    """)
    rows = cr.dictfetchall()
    return [list(group) for _key, group in groupby(rows, key=lambda row: row["email_key"])]


def _mergeable_partner(survivor, other):
    """Staff contacts are neither merged nor merged into, and one company's contact does not
    take another company's orders."""
    same_company = survivor["company_id"] in (None, other["company_id"])
    return same_company and not survivor["staff"] and not other["staff"]


def _move_partner_reference_fields(env, merged):
    """Attachments, followers, activities, messages, reference and company-dependent fields
    of the merged contacts, moved by Odoo's own contact merge."""
    Partner = env["res.partner"].with_context(active_test=False)
    Merge = env["base.partner.merge.automatic.wizard"]
    for survivor_id, other_ids in _by_survivor(merged).items():
        _drop_colliding_followers(env.cr, survivor_id, other_ids)
        Merge._update_reference_fields(Partner.browse(other_ids), Partner.browse(survivor_id))


def _drop_colliding_followers(cr, survivor_id, other_ids):
    """Odoo's merge drops all the followers of a contact when one of them already follows
    the survivor (the pair is unique): drop only those, so the others move."""
    if not table_exists(cr, "mail_followers"):
        return
    cr.execute(
        SQL(
            """
            DELETE FROM mail_followers f
             WHERE f.res_model = 'res.partner' AND f.res_id = ANY(%(others)s)
               AND EXISTS (
                   SELECT 1 FROM mail_followers o
                    WHERE o.res_model = 'res.partner' AND o.partner_id = f.partner_id
                      AND (o.res_id = %(survivor)s OR (o.res_id = ANY(%(others)s) AND o.id < f.id))
               )
            """,
            survivor=survivor_id,
            others=other_ids,
        )
    )


def _normalize_buyer_emails(cr, partner_ids):
    """The survivor's e-mail as the connector searches it: trimmed, lower case."""
    cr.execute(
        SQL(
            "UPDATE res_partner SET hotmart_buyer_email = lower(trim(hotmart_buyer_email))"
            " WHERE id = ANY(%s) AND hotmart_buyer_email <> lower(trim(hotmart_buyer_email))",
            list(partner_ids),
        )
    )


# products -----------------------------------------------------------------


def merge_duplicate_products(env):
    """One product per Hotmart id and company: the survivor is the oldest active one (the
    connector's own pick), else the oldest; the others are merged into it and archived with
    their variants."""
    cr = env.cr
    if not column_exists(cr, "product_template", "hotmart_product_id"):
        return
    merged = {}
    for survivor_id, *other_ids in _duplicate_product_groups(cr):
        merged.update(dict.fromkeys(other_ids, survivor_id))
    if not merged:
        return
    skip = VARIANT_STRUCTURE | _own_many2many_columns(cr)
    _move_references(cr, "product_product", _variant_mapping(cr, merged), skip)
    _move_references(cr, "product_template", merged, skip)
    cr.execute(
        SQL(
            "UPDATE product_template SET hotmart_product_id = NULL, active = false"
            " WHERE id = ANY(%s)",
            list(merged),
        )
    )
    cr.execute(
        SQL(
            "UPDATE product_product SET active = false WHERE product_tmpl_id = ANY(%s)",
            list(merged),
        )
    )
    _logger.info(
        "Merged %d duplicate Hotmart products into %d ({survivor: merged}: %s)",
        len(merged),
        len(set(merged.values())),
        _by_survivor(merged),
    )


def _duplicate_product_groups(cr):
    """Lists of template ids sharing a Hotmart id in one company, survivor first."""
    cr.execute("""
        SELECT array_agg(id ORDER BY active DESC, id)
          FROM product_template
         WHERE hotmart_product_id IS NOT NULL
         GROUP BY hotmart_product_id, COALESCE(company_id, 0)
        HAVING count(*) > 1
         ORDER BY min(id)
    """)
    return [ids for (ids,) in cr.fetchall()]


def _variant_mapping(cr, merged):
    """{merged variant: the survivor's first variant}."""
    cr.execute(
        SQL(
            """
            SELECT variant.id, first.id
              FROM product_product variant
              JOIN unnest(%s::int[], %s::int[]) AS m(merged_id, survivor_id)
                ON variant.product_tmpl_id = m.merged_id
              JOIN LATERAL (
                   SELECT id FROM product_product
                    WHERE product_tmpl_id = m.survivor_id
                    ORDER BY active DESC, id
                    LIMIT 1
              ) first ON true
            """,
            list(merged),
            list(merged.values()),
        )
    )
    return dict(cr.fetchall())


def _own_many2many_columns(cr):
    """(table, column) of the products' own many2many values (taxes, tags, optional
    products...): their configuration, not a use of them. The survivor keeps its own
    rather than adding the duplicate's, which could tax its sales twice."""
    cr.execute("""
        SELECT relation_table, column1
          FROM ir_model_fields
         WHERE model IN ('product.template', 'product.product')
           AND ttype = 'many2many' AND store AND relation_table IS NOT NULL
    """)
    return set(cr.fetchall())


# references ---------------------------------------------------------------


def _move_references(cr, table, merged, skip=()):
    """Point every foreign key on ``table`` from the merged rows to their survivor.

    A row that would then repeat one of the survivor's in a unique constraint is deleted
    instead (or, when it cannot be, left on the merged row, which is archived, not deleted).
    """
    if not merged:
        return
    foreign_keys = _foreign_keys_to(cr, table)
    for ref_table, column in foreign_keys:
        if (ref_table, column) in skip:
            continue
        if not column_exists(cr, ref_table, "id"):
            pair_columns = [c for t, c in foreign_keys if t == ref_table and c != column]
            _drop_links_to_survivor(cr, ref_table, column, pair_columns, merged)
        # the merged rows and survivors keep their own parent, commercial entity...: one
        # pointing at the other must not end up pointing at itself
        keep_merged_rows = ref_table == table
        try:
            with cr.savepoint(flush=False):
                cr.execute(
                    _update_references(ref_table, column, merged, keep_merged_rows),
                    log_exceptions=False,
                )
        except UniqueViolation:
            _move_references_one_by_one(cr, ref_table, column, merged, keep_merged_rows)


def _foreign_keys_to(cr, table):
    """(table, column) of every single-column foreign key pointing at ``table``.id."""
    cr.execute(
        SQL(
            """
            SELECT src.relname, col.attname
              FROM pg_constraint con
              JOIN pg_class src ON src.oid = con.conrelid
              JOIN pg_class dst ON dst.oid = con.confrelid
              JOIN pg_attribute col ON col.attrelid = con.conrelid AND col.attnum = con.conkey[1]
              JOIN pg_attribute ref ON ref.attrelid = con.confrelid AND ref.attnum = con.confkey[1]
             WHERE con.contype = 'f' AND cardinality(con.conkey) = 1
               AND dst.relname = %s AND ref.attname = 'id'
               AND pg_table_is_visible(dst.oid)
             ORDER BY src.relname, col.attname
            """,
            table,
        )
    )
    return cr.fetchall()


def _drop_links_to_survivor(cr, ref_table, column, pair_columns, merged):
    """A many2many pair of a merged row and its survivor (a product optional to its
    duplicate) would link the survivor to itself: drop it."""
    for pair_column in pair_columns:
        cr.execute(
            SQL(
                "DELETE FROM %(table)s t USING %(mapping)s"
                " WHERE t.%(column)s = m.merged_id AND t.%(pair_column)s = m.survivor_id",
                table=SQL.identifier(ref_table),
                mapping=_mapping(merged),
                column=SQL.identifier(column),
                pair_column=SQL.identifier(pair_column),
            )
        )


def _mapping(merged):
    """The merged ids and their survivors as a joinable relation m(merged_id, survivor_id)."""
    return SQL(
        "unnest(%s::int[], %s::int[]) AS m(merged_id, survivor_id)",
        list(merged),
        list(merged.values()),
    )


def _update_references(ref_table, column, merged, keep_merged_rows):
    return SQL(
        "UPDATE %(table)s t SET %(column)s = m.survivor_id FROM %(mapping)s"
        " WHERE t.%(column)s = m.merged_id %(keep)s",
        table=SQL.identifier(ref_table),
        column=SQL.identifier(column),
        mapping=_mapping(merged),
        keep=_except_merged_rows(merged) if keep_merged_rows else SQL(),
    )


def _except_merged_rows(merged):
    return SQL("AND t.id <> ALL(%s)", [*merged, *merged.values()])


def _move_references_one_by_one(cr, ref_table, column, merged, keep_merged_rows):
    """Move the rows one at a time, deleting those a unique constraint refuses."""
    table, col = SQL.identifier(ref_table), SQL.identifier(column)
    cr.execute(
        SQL(
            "SELECT t.ctid::text, m.survivor_id FROM %s t JOIN %s ON t.%s = m.merged_id %s",
            table,
            _mapping(merged),
            col,
            _except_merged_rows(merged) if keep_merged_rows else SQL(),
        )
    )
    deleted = kept = 0
    for ctid, survivor_id in cr.fetchall():
        try:
            with cr.savepoint(flush=False):
                row_update = SQL(
                    "UPDATE %s SET %s = %s WHERE ctid = %s::tid", table, col, survivor_id, ctid
                )
                cr.execute(row_update, log_exceptions=False)
        except UniqueViolation:
            if _delete_row(cr, table, ctid):
                deleted += 1
            else:
                kept += 1
    _logger.info(
        "%s.%s: deleted %d rows the survivor already had, kept %d on the merged rows",
        ref_table,
        column,
        deleted,
        kept,
    )


def _delete_row(cr, table, ctid):
    """Delete a row unless something else requires it; whether it was deleted."""
    try:
        with cr.savepoint(flush=False):
            row_delete = SQL("DELETE FROM %s WHERE ctid = %s::tid", table, ctid)
            cr.execute(row_delete, log_exceptions=False)
    except IntegrityError:  # another row still needs it (a foreign key)
        return False
    return True


def _by_survivor(merged):
    """{survivor id: sorted merged ids}, for the log and per-survivor work."""
    groups = {}
    for merged_id, survivor_id in sorted(merged.items()):
        groups.setdefault(survivor_id, []).append(merged_id)
    return groups
