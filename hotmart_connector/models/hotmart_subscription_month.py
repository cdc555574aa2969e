from odoo import fields, models, tools


class HotmartSubscriptionMonth(models.Model):
    """Each subscription in each month it ran: recurring revenue, new subscribers and churn
    by month, by product or plan, in company currency (a read-only SQL view).

    A subscription counts from the month it started to the month it was cancelled, or to
    this month while it runs; its monthly amount is its current plan's (plan changes are not
    dated back).
    """

    _name = "hotmart.subscription.month"
    _description = "Hotmart Subscriptions by Month"
    _auto = False
    _order = "month desc"
    _rec_name = "month"

    month = fields.Date(readonly=True)
    subscription_id = fields.Many2one("hotmart.subscription", readonly=True)
    backend_id = fields.Many2one("hotmart.backend", string="Account", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    company_currency_id = fields.Many2one("res.currency", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Subscriber", readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    plan_name = fields.Char(string="Plan", readonly=True)
    mrr = fields.Monetary(string="MRR", readonly=True, currency_field="company_currency_id")
    subscriber_count = fields.Integer(string="Subscribers", readonly=True, aggregator="sum")
    new_count = fields.Integer(string="New", readonly=True, aggregator="sum")
    churned_count = fields.Integer(string="Cancelled", readonly=True, aggregator="sum")
    churned_mrr = fields.Monetary(
        string="MRR Lost", readonly=True, currency_field="company_currency_id"
    )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        # months run from the start (first charge, or when first seen) to the cancellation,
        # or to this month; a subscription that never started paying (STARTED, INACTIVE)
        # brings no revenue and is left out
        self.env.cr.execute(
            f"""
            CREATE VIEW {self._table} AS (
                SELECT
                    row_number() OVER (ORDER BY s.id, m.month) AS id,
                    m.month::date AS month,
                    s.id AS subscription_id,
                    s.backend_id,
                    s.company_id,
                    c.currency_id AS company_currency_id,
                    s.partner_id,
                    s.product_id,
                    s.plan_name,
                    s.recurring_amount_company AS mrr,
                    1 AS subscriber_count,
                    CASE WHEN m.month = date_trunc('month', COALESCE(s.date_start, s.create_date))
                         THEN 1 ELSE 0 END AS new_count,
                    CASE WHEN m.month = date_trunc('month', s.date_cancelled)
                         THEN 1 ELSE 0 END AS churned_count,
                    CASE WHEN m.month = date_trunc('month', s.date_cancelled)
                         THEN s.recurring_amount_company ELSE 0 END AS churned_mrr
                FROM hotmart_subscription s
                JOIN res_company c ON c.id = s.company_id
                CROSS JOIN LATERAL generate_series(
                    date_trunc('month', COALESCE(s.date_start, s.create_date)),
                    date_trunc('month', COALESCE(s.date_cancelled, now() AT TIME ZONE 'UTC')),
                    interval '1 month'
                ) AS m(month)
                WHERE s.status NOT IN ('STARTED', 'INACTIVE')
            )
            """
        )
