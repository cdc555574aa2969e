from odoo import fields, models, tools


class HotmartSubscriptionMonth(models.Model):
    """Each subscription in each month it ran: recurring revenue, new subscribers and churn
    by month, by product or plan, in company currency (a read-only SQL view).

    A subscription counts from the month it started until the month before it was cancelled
    (its cancellation month counts it as churn only), or to this month while it runs; its
    monthly amount is its current plan's (plan changes are not dated back).
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
    # a month's MRR and subscribers are that month's: a total over months adds months up,
    # and the labels say so on the screen
    mrr = fields.Monetary(
        string="MRR (totals add months up)",
        readonly=True,
        currency_field="company_currency_id",
        help="The month's recurring revenue. A total over several months is their sum, not a "
        "monthly figure: read it month by month.",
    )
    subscriber_count = fields.Integer(
        string="Paying Subscribers (totals add months up)",
        readonly=True,
        help="Subscriptions that paid a charge, counted in each month they ran. A total over "
        "several months counts a subscriber once a month.",
    )
    new_count = fields.Integer(string="New Subscribers", readonly=True)
    churned_count = fields.Integer(string="Cancellations", readonly=True)
    churned_mrr = fields.Monetary(
        string="MRR Lost to Cancellations", readonly=True, currency_field="company_currency_id"
    )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        # a subscription counts from the month it started (its first charge, or when first
        # seen) until the month before its cancellation, or this month while it runs; in its
        # cancellation month it counts only as churn. One that never paid (STARTED, INACTIVE,
        # or late without a paid charge known) brings no revenue and is left out.
        self.env.cr.execute(
            f"""
            CREATE VIEW {self._table} AS (
                WITH spans AS (
                    SELECT s.*,
                        c.currency_id AS company_currency_id,
                        date_trunc('month', COALESCE(s.date_start, s.create_date)) AS first_month,
                        date_trunc('month', s.date_cancelled) AS churn_month
                    FROM hotmart_subscription s
                    JOIN res_company c ON c.id = s.company_id
                    WHERE s.status NOT IN ('STARTED', 'INACTIVE')
                      AND NOT (s.status IN ('DELAYED', 'OVERDUE') AND s.charge_count = 0)
                )
                SELECT
                    row_number() OVER (ORDER BY s.id, m.month) AS id,
                    m.month::date AS month,
                    s.id AS subscription_id,
                    s.backend_id,
                    s.company_id,
                    s.company_currency_id,
                    s.partner_id,
                    s.product_id,
                    s.plan_name,
                    CASE WHEN m.month = s.churn_month THEN 0
                         ELSE s.recurring_amount_company END AS mrr,
                    CASE WHEN m.month = s.churn_month THEN 0 ELSE 1 END AS subscriber_count,
                    CASE WHEN m.month = s.first_month THEN 1 ELSE 0 END AS new_count,
                    CASE WHEN m.month = s.churn_month THEN 1 ELSE 0 END AS churned_count,
                    CASE WHEN m.month = s.churn_month
                         THEN s.recurring_amount_company ELSE 0 END AS churned_mrr
                FROM spans s
                CROSS JOIN LATERAL generate_series(
                    s.first_month,
                    COALESCE(s.churn_month, date_trunc('month', now() AT TIME ZONE 'UTC')),
                    interval '1 month'
                ) AS m(month)
            )
            """
        )
