/** @odoo-module **/

import { registry } from "@web/core/registry";

// The screens a producer and their accountant read every day, walked in English and in
// Portuguese: what each shows must say what it counts, in the sale's own currency, with
// labels instead of Hotmart's codes. The Python test (test_tour.py) makes the account and
// its sales: Camila paid in Colombian pesos, Bruna's boleto is unpaid, Rita's order needed a
// rounding line.

const WORDS = {
    en: {
        failed: "0 failed",
        paidMonth: "Paid this month: Screens School",
        amount: "Amount",
        paidAmount: "Paid Amount",
        paidCompany: "Paid (company currency)",
        approved: "Approved (paid)",
        boleto: "Boleto/PIX issued",
        singlePayment: "Single payment",
        amountWord: "amount",
        paidWord: "paid",
        rounding: "Rounding adjustment",
        chargesPaid: "Charges Paid on Hotmart",
        chargesOdoo: "Charges in Odoo",
        mrr: "MRR (totals add months up)",
        settlements: "Settlements",
        events: "Webhook Events",
        runLanguage: "the language of the contact of Escola Screens",
        webhookWarning: "Hotmart cannot reach this address",
        nothingToAdd: "nothing to add",
        statuses: "Statuses",
        addDefaults: "Add Default Statuses",
        reconciliation: "Reconciliation",
    },
    pt: {
        failed: "0 com falha",
        paidMonth: "Pagas neste mês: Screens School",
        amount: "Valor",
        paidAmount: "Valor Pago",
        paidCompany: "Pago (moeda da empresa)",
        approved: "Aprovado (pago)",
        boleto: "Boleto/PIX emitido",
        singlePayment: "Pagamento único",
        amountWord: "valor",
        paidWord: "pago",
        rounding: "Ajuste de arredondamento",
        chargesPaid: "Cobranças Pagas na Hotmart",
        chargesOdoo: "Cobranças no Odoo",
        mrr: "MRR (totais somam os meses)",
        settlements: "Liquidações",
        events: "Eventos de Webhook",
        runLanguage: "o idioma do contato de Escola Screens",
        webhookWarning: "A Hotmart não consegue acessar este endereço",
        nothingToAdd: "nada a adicionar",
        statuses: "Status",
        addDefaults: "Adicionar Status Padrão",
        reconciliation: "Conciliação",
    },
};

const menu = (xmlid) => ({
    content: `Open ${xmlid}`,
    trigger: `.o_main_navbar [data-menu-xmlid='hotmart_connector.${xmlid}']`,
    run: "click",
});

const reportingMenu = (xmlid) => [
    menu("hotmart_menu_reporting"),
    {
        content: `Open ${xmlid}`,
        trigger: `.dropdown-item[data-menu-xmlid='hotmart_connector.${xmlid}']`,
        run: "click",
    },
];

function steps(w) {
    return [
        // the overview: buttons that keep their colour, figures that open their sales
        {
            content: "The card's failed button is not red at zero",
            trigger: `.o_kanban_record:contains(Screens School) button.btn-secondary:contains(${w.failed})`,
        },
        {
            content: "Open what was paid this month",
            trigger: ".o_kanban_record:contains(Screens School) button[name=action_view_paid_sales]:eq(2)",
            run: "click",
        },
        {
            content: "The list says which sales it shows",
            trigger: `.o_breadcrumb:contains(${w.paidMonth})`,
        },
        // the sales: amounts in their own currency, named for what they are
        menu("hotmart_sale_menu"),
        { content: "The amount column", trigger: `.o_list_view th:contains(/^${w.amount}$/)` },
        { content: "The paid column", trigger: `.o_list_view th:contains(${w.paidAmount})` },
        {
            content: "Colombian pesos say so",
            trigger: ".o_list_view .o_data_row:contains(Camila) .o_data_cell:contains(COP 153)",
        },
        { content: "Status labels, not codes", trigger: `.o_list_view .o_data_cell:contains(${w.approved})` },
        { content: "The kanban", trigger: ".o_switch_view.o_kanban", run: "click" },
        {
            content: "The card shows the sale's own currency",
            trigger: ".o_kanban_record:contains(Camila):contains(COP 153)",
        },
        { content: "The pivot", trigger: ".o_switch_view.o_pivot", run: "click" },
        {
            content: "It adds up what was paid",
            trigger: `.o_pivot th:contains(${w.paidCompany})`,
        },
        { content: "The graph", trigger: ".o_switch_view.o_graph", run: "click" },
        { content: "It draws", trigger: ".o_graph_renderer canvas" },
        { content: "Back to the list", trigger: ".o_switch_view.o_list", run: "click" },
        {
            content: "Open Bruna's boleto",
            trigger: ".o_data_row:contains(Bruna Boleto) .o_data_cell[name=buyer_name]",
            run: "click",
        },
        { content: "Its status reads as a label", trigger: `.o_form_view .o_field_widget[name=status]:contains(${w.boleto})` },
        {
            content: "Its payment mode too",
            trigger: `.o_form_view .o_field_widget[name=payment_mode_label]:contains(${w.singlePayment})`,
        },
        { content: "Open its order", trigger: ".o_form_view button[name=action_open_order]", run: "click" },
        {
            content: "Nobody paid an unpaid boleto: the chatter says its amount",
            trigger: `.o-mail-Message-body:contains(${w.amountWord} 84):not(:contains(, ${w.paidWord} ))`,
        },
        // an order with a rounding line
        menu("hotmart_sale_order_menu"),
        {
            content: "Open Rita's order",
            trigger: ".o_data_row:contains(Rita Arredonda) .o_data_cell[name=name]",
            run: "click",
        },
        {
            content: "The rounding line says what it is",
            trigger: `.o_form_view .o_field_one2many[name=order_line] .o_data_row:contains(${w.rounding})`,
        },
        // a subscription: what Hotmart counts and what Odoo holds, two named figures
        menu("hotmart_subscription_menu"),
        { content: "The list of subscriptions", trigger: ".o_switch_view.o_list", run: "click" },
        { content: "Open one", trigger: ".o_list_view .o_data_row:first .o_data_cell:first", run: "click" },
        { content: "Charges paid on Hotmart", trigger: `.o_form_view label:contains(${w.chargesPaid})` },
        { content: "Charges in Odoo", trigger: `.o_form_view label:contains(${w.chargesOdoo})` },
        // the reports
        ...reportingMenu("hotmart_subscription_month_menu"),
        { content: "The pivot of months", trigger: ".o_switch_view.o_pivot", run: "click" },
        { content: "MRR says its totals add months", trigger: `.o_pivot th:contains(${w.mrr})` },
        ...reportingMenu("hotmart_settlement_menu"),
        { content: "Settlements open", trigger: `.o_breadcrumb:contains(${w.settlements})` },
        ...reportingMenu("hotmart_reconciliation_menu"),
        { content: "The reconciliation opens", trigger: `.o_breadcrumb:contains(${w.reconciliation})` },
        menu("hotmart_webhook_event_menu"),
        { content: "Webhook events open", trigger: `.o_breadcrumb:contains(${w.events})` },
        // the account: what it cannot do, and in which language runs write
        menu("hotmart_menu_config"),
        {
            content: "Accounts",
            trigger: ".dropdown-item[data-menu-xmlid='hotmart_connector.hotmart_backend_menu']",
            run: "click",
        },
        { content: "Open the account", trigger: ".o_data_row:contains(Screens School) .o_data_cell:first", run: "click" },
        { content: "The webhook URL is not public", trigger: `.o_form_view .alert:contains(${w.webhookWarning})` },
        { content: "The Settings tab", trigger: ".o_form_view .o_notebook .nav-link[name=settings]", run: "click" },
        {
            content: "An unset dollar rate shows empty, not 0.000000",
            trigger: ".o_form_view .o_field_widget[name=usd_rate] input:empty",
        },
        {
            content: "A set euro rate shows",
            trigger: ".o_form_view .o_field_widget[name=eur_rate] input:value(/^6/)",
        },
        { content: "Which language runs write in", trigger: `.o_form_view .o_field_widget[name=run_language_note]:contains(${w.runLanguage})` },
        { content: "The Statuses tab", trigger: ".o_form_view .o_notebook .nav-link[name=statuses]", run: "click" },
        { content: "Add the default statuses", trigger: `.o_form_view button:contains(${w.addDefaults})`, run: "click" },
        { content: "Nothing to add, and it says so", trigger: `.o_notification:contains(${w.nothingToAdd})` },
    ];
}

registry.category("web_tour.tours").add("hotmart_screens_en", {
    url: "/odoo/action-hotmart_connector.hotmart_overview_action",
    steps: () => steps(WORDS.en),
});

registry.category("web_tour.tours").add("hotmart_screens_pt", {
    url: "/odoo/action-hotmart_connector.hotmart_overview_action",
    steps: () => steps(WORDS.pt),
});
