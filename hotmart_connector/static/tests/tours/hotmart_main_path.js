/** @odoo-module **/

import { registry } from "@web/core/registry";

// The path a producer walks on the first day: the account, Test Connection, Fetch Sales,
// the paid ones, Receive Orders, an order. The Python test sets up the sandbox account.
registry.category("web_tour.tours").add("hotmart_main_path", {
    url: "/odoo/action-hotmart_connector.hotmart_overview_action",
    steps: () => [
        {
            content: "Open the account from the overview",
            trigger: ".o_kanban_record:contains(Tour School) .fs-4",
            run: "click",
        },
        {
            content: "Test the connection with the sandbox",
            trigger: ".o_form_view button[name=action_test_connection]",
            run: "click",
        },
        {
            content: "Hotmart answers",
            trigger: ".o_notification:contains(can talk to Hotmart)",
        },
        {
            content: "The account is active",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Active)",
        },
        {
            content: "Fetch Sales",
            trigger: ".o_main_navbar [data-menu-xmlid='hotmart_connector.hotmart_sale_fetch_menu']",
            run: "click",
        },
        {
            content: "Fetch the last week's sales",
            trigger: ".modal button[name=action_fetch]",
            run: "click",
        },
        {
            content: "The wizard says how many came",
            trigger: ".modal:contains(fetched)",
        },
        {
            content: "Open them",
            trigger: ".modal button[name=action_open_sales]",
            run: "click",
        },
        {
            content: "The fetched period is a filter one can see",
            trigger: ".o_searchview_facet:contains(Fetched Period)",
        },
        {
            content: "Open the filters",
            trigger: ".o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "Keep the paid sales",
            trigger: ".o_filter_menu .o-dropdown-item:contains(/^Paid$/)",
            run: "click",
        },
        {
            content: "The list shows paid sales only",
            trigger: ".o_searchview_facet:contains(Paid)",
        },
        {
            content: "Select them all",
            trigger: ".o_list_view thead .o_list_record_selector input",
            run: "click",
        },
        {
            content: "Open the Actions menu",
            trigger: ".o_cp_action_menus .dropdown-toggle",
            run: "click",
        },
        {
            content: "Receive Orders",
            trigger: ".o-dropdown-item:contains(Receive Orders)",
            run: "click",
        },
        {
            content: "They are received",
            trigger: ".o_notification:contains(received)",
        },
        {
            content: "Go to the orders",
            trigger: ".o_main_navbar [data-menu-xmlid='hotmart_connector.hotmart_sale_order_menu']",
            run: "click",
        },
        {
            content: "Open an order",
            trigger: ".o_list_view .o_data_row:first .o_data_cell[name=name]",
            run: "click",
        },
        {
            content: "It came from Hotmart",
            trigger: ".o_form_view .o_notebook .nav-link:contains(Hotmart)",
        },
    ],
});
