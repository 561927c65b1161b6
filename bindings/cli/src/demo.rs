//! `bcpay demo`: the whole API as a story against an embedded sandbox.

use anstream::println;
use bcpay::api::MethodsQuery;
use bcpay::model::{BillingAddress, NewOrder, OrderProduct, Payment, PaymentMethod, PaymentReceipt};
use bcpay::secret::ApiToken;
use bcpay::{Client, ClientConfig, FlowOptions, PaymentError, ReqwestTransport};
use bcpay_sandbox::{Faults, Sandbox, SandboxConfig};
use owo_colors::OwoColorize;
use serde_json::json;

const CUSTOMER: i64 = 11;

fn chapter(n: u32, title: &str) {
    println!("\n{} {}", format!("{n:>2}.").cyan().bold(), title.bold());
}

fn note(text: &str) {
    println!("    {}", text.dimmed());
}

fn ok(text: &str) {
    println!("    {} {text}", "✓".green().bold());
}

fn payment(value: serde_json::Value) -> Payment {
    serde_json::from_value(value).expect("demo payments are well-formed")
}

fn card(number: &str) -> serde_json::Value {
    json!({"type": "card", "number": number, "cardholder_name": "Jane Doe", "expiry_month": 12, "expiry_year": 2030, "verification_value": "123"})
}

pub(crate) async fn new_order(client: &Client<ReqwestTransport>, price: f64) -> Result<u64, PaymentError> {
    let order = NewOrder {
        customer_id: CUSTOMER,
        billing_address: BillingAddress {
            first_name: "Jane".into(),
            last_name: "Doe".into(),
            street_1: "123 Main Street".into(),
            city: "Austin".into(),
            state: "Texas".into(),
            zip: "78751".into(),
            country: "United States".into(),
            country_iso2: "US".into(),
            email: "janedoe@example.com".into(),
            ..BillingAddress::default()
        },
        products: vec![OrderProduct {
            name: Some("BigCommerce Poster".into()),
            quantity: 1,
            price_inc_tax: Some(price),
            price_ex_tax: Some(price),
            ..OrderProduct::default()
        }],
        default_currency_code: None,
    };
    let created = client.create_order(&order).await?;
    Ok(created.id as u64)
}

fn show_receipt(receipt: &PaymentReceipt) {
    for p in &receipt.payments {
        let how = if p.reconciled {
            " (confirmed by reconciliation)".magenta().to_string()
        } else {
            String::new()
        };
        ok(&format!(
            "{} via {} — {}{how}",
            p.transaction_type,
            p.payment_method_id.bold(),
            p.status
        ));
    }
    let money = |a: Option<bcpay::model::Amount>| a.map_or_else(|| "?".to_owned(), |a| a.to_string());
    let currency = receipt.currency.as_deref().unwrap_or("");
    note(&format!(
        "order {}: {} {currency} paid, {} {currency} due — {} HTTP requests",
        receipt.order_state,
        money(receipt.amount_paid),
        money(receipt.amount_remaining),
        receipt.requests_sent
    ));
}

fn stored_token(methods: &[PaymentMethod], method: &str, kind: &str, skip_revoked: bool) -> String {
    methods
        .iter()
        .find(|m| m.id == method)
        .and_then(|m| {
            m.stored_instruments
                .iter()
                .filter(|s| s.instrument_type == kind)
                .find(|s| !skip_revoked || s.email.as_deref() != Some("revoked@example.com"))
        })
        .map(|s| s.token.expose().to_owned())
        .expect("the sandbox seeds customer 11 with stored instruments")
}

pub async fn run() -> Result<(), PaymentError> {
    println!(
        "{}",
        "bcpay demo — taking payments through the BigCommerce Payments API"
            .bold()
            .underline()
    );
    let sandbox = Sandbox::start(SandboxConfig::default(), 0)
        .await
        .map_err(|e| PaymentError::configuration("sandbox", "unavailable", &e.to_string()))?;
    note(&format!(
        "embedded sandbox on {} (a local stand-in for api.bigcommerce.com and payments.bigcommerce.com)",
        sandbox.base_url()
    ));
    let config = || -> Result<ClientConfig, PaymentError> {
        ClientConfig::new("demo123", ApiToken::new(sandbox.api_token()))?
            .with_api_base(&sandbox.base_url())?
            .with_payments_base(&sandbox.base_url())
            .map(|c| c.with_host("demo"))
    };
    let client = Client::with_transport(config()?, ReqwestTransport::new(10_000));

    chapter(1, "Create an order (V2 Orders API, status Incomplete)");
    let order_id = new_order(&client, 60.98).await?;
    let order = client.get_order(order_id).await?;
    let total = order.total_inc_tax.unwrap_or_default();
    ok(&format!(
        "order #{order_id}: {} (status_id {}), total ${total}",
        order.status,
        order.status_id.unwrap_or(-1)
    ));

    chapter(2, "List the payment methods the store accepts for it");
    let methods = client.get_payment_methods(&MethodsQuery::OrderId(order_id)).await?;
    for m in &methods {
        let brands: Vec<&str> = m.supported_instruments.iter().map(|s| s.instrument_type.as_str()).collect();
        println!("    {:<30} {:<16} {}", m.id.bold(), m.method_type, brands.join(" ").dimmed());
        for s in &m.stored_instruments {
            let label = s
                .last_4
                .as_ref()
                .map(|l| format!("{} •••• {l}", s.brand.clone().unwrap_or_default()))
                .or_else(|| s.email.clone())
                .or_else(|| s.masked_account_number.clone())
                .unwrap_or_default();
            println!("    {:<30} {} {}", "", "stored:".dimmed(), label);
        }
    }

    chapter(3, "Create a payment access token (a one-hour JWT bound to the order)");
    let token = client.create_access_token(order_id, false).await?;
    let claims = token.claims.clone().unwrap_or_default();
    ok(&format!(
        "token {} for order {:?}, amount {:?} {} minor units, expires in {} min",
        token.secret,
        claims.order_id.unwrap_or(0),
        claims.amount.unwrap_or(0),
        claims.currency.unwrap_or_default(),
        (token.expires_at_ms - token.received_at_ms) / 60_000
    ));
    note("the token itself is a secret: bcpay never prints it");

    chapter(4, "Pay with a card (validated first: Luhn, brand, expiry, CVV)");
    let receipt = client
        .pay(
            order_id,
            vec![payment(
                json!({"instrument": card("4242 4242 4242 4242"), "payment_method_id": "stripe.card"}),
            )],
        )
        .await?;
    show_receipt(&receipt);
    let order = client.get_order(order_id).await?;
    ok(&format!(
        "order #{order_id} is now {} (payment status: {})",
        order.status.bold(),
        order.payment_status
    ));

    chapter(5, "Pay with the shopper's stored card");
    let order_id = new_order(&client, 35.00).await?;
    let token = stored_token(&methods, "stripe.card", "stored_card", false);
    show_receipt(&client.pay(order_id, vec![payment(json!({"instrument": {"type": "stored_card", "token": token, "verification_value": "123"}, "payment_method_id": "stripe.card"}))]).await?);

    chapter(6, "Pay with a stored PayPal account");
    let order_id = new_order(&client, 19.99).await?;
    let token = stored_token(&methods, "braintree.paypal", "stored_paypal_account", true);
    show_receipt(
        &client
            .pay(
                order_id,
                vec![payment(
                    json!({"instrument": {"type": "stored_paypal_account", "token": token}, "payment_method_id": "braintree.paypal"}),
                )],
            )
            .await?,
    );

    chapter(7, "Split a payment: a $25 gift certificate, then a card for the rest");
    let order_id = new_order(&client, 80.00).await?;
    let split = vec![
        payment(
            json!({"instrument": {"type": "gift_certificate", "gift_certificate_code": "GC-25-OFF"}, "payment_method_id": "bigcommerce.gift_certificate"}),
        ),
        payment(json!({"instrument": card("5555555555554444"), "payment_method_id": "stripe.card"})),
    ];
    show_receipt(&client.pay(order_id, split).await?);
    for t in client.get_transactions(order_id).await? {
        note(&format!(
            "transaction: {} {} ${} ({})",
            t.event,
            t.method,
            t.amount,
            t.payment_method_id.unwrap_or_default()
        ));
    }

    chapter(8, "A decline: what the shopper sees, and what the developer should do");
    let order_id = new_order(&client, 42.00).await?;
    match client
        .pay(
            order_id,
            vec![payment(
                json!({"instrument": card("4000000000009995"), "payment_method_id": "stripe.card"}),
            )],
        )
        .await
    {
        Err(e) => {
            println!("    {} {} (code {})", "declined:".yellow().bold(), e.kind, e.code.unwrap_or(0));
            println!("    {} {}", "shopper sees:".dimmed(), e.shopper_message.bold());
            println!("    {} {}", "remedy:".dimmed(), e.remedy);
            println!("    {} {:?}", "retry:".dimmed(), e.retry);
        }
        Ok(_) => {
            return Err(PaymentError::new(
                bcpay::ErrorKind::InvalidResponse,
                "the insufficient-funds test card was accepted",
            ));
        }
    }

    chapter(9, "Bad input never leaves the machine: every field error at once");
    let bad = payment(
        json!({"instrument": {"type": "card", "number": "4242 4242 4242 4241", "cardholder_name": "", "expiry_month": 13, "expiry_year": 24, "verification_value": "12"}, "payment_method_id": "stripe"}),
    );
    if let Err(e) = client.pay(order_id, vec![bad]).await {
        for f in &e.field_errors {
            println!("    {} {:<38} {}", "·".red(), f.path, f.description.dimmed());
        }
    }

    chapter(
        10,
        "A timeout after the gateway charged, on a slow ledger: reconciled, never charged twice",
    );
    let order_id = new_order(&client, 99.00).await?;
    sandbox.set_faults(Faults {
        slow: 1.0,
        slow_ms: 1_500,
        ledger_lag_ms: 2_000,
        ..Faults::default()
    });
    note("the sandbox now commits each payment, then answers after 1.5 s; this client gives up after 0.5 s");
    note("and the order's transactions show the charge only 2 s later: bcpay reads again (0.5 s, 1.5 s, 3.5 s), it never pays again");
    let impatient = Client::with_transport(config()?, ReqwestTransport::new(500)).with_options(FlowOptions {
        reconcile_delay_ms: 500,
        ..FlowOptions::default()
    });
    let receipt = impatient
        .pay(
            order_id,
            vec![payment(
                json!({"instrument": card("4242424242424242"), "payment_method_id": "stripe.card"}),
            )],
        )
        .await?;
    sandbox.set_faults(Faults::default());
    show_receipt(&receipt);
    let charges = sandbox.ledger()["orders"]
        .as_array()
        .and_then(|o| o.iter().find(|x| x["order_id"] == json!(order_id)))
        .map(|o| o["charges"].as_array().map_or(0, Vec::len))
        .unwrap_or(0);
    ok(&format!(
        "the gateway ledger shows {} charge for order #{order_id}",
        charges.to_string().bold()
    ));

    chapter(11, "Authorize only, then capture — and a refund");
    let order_id = new_order(&client, 120.00).await?;
    show_receipt(
        &client
            .pay(
                order_id,
                vec![payment(
                    json!({"instrument": card("4242424242424242"), "payment_method_id": "authorizenet.card"}),
                )],
            )
            .await?,
    );
    client.capture(order_id).await?;
    ok(&format!(
        "captured: order #{order_id} payment status is {}",
        client.get_order(order_id).await?.payment_status.bold()
    ));
    let items = vec![bcpay::model::RefundItem {
        item_type: "ORDER".into(),
        item_id: order_id as i64,
        quantity: None,
        amount: Some(20.0),
        reason: Some("damaged in transit".into()),
    }];
    // The quote decides the providers and amounts (`Client::refund`).
    let refund = client.refund(order_id, items).await?;
    let provider = refund
        .payments
        .iter()
        .map(|p| p.provider_id.as_str())
        .collect::<Vec<_>>()
        .join(" + ");
    ok(&format!(
        "refunded ${} through {provider} (refund #{})",
        refund.total_amount,
        refund.id.unwrap_or(0)
    ));

    let ledger = sandbox.ledger();
    println!(
        "\n{} {} orders, {} double charges",
        "ledger:".bold(),
        ledger["orders"].as_array().map_or(0, Vec::len),
        ledger["double_charges"].to_string().green().bold()
    );
    if ledger["double_charges"] != json!(0) {
        return Err(PaymentError::new(
            bcpay::ErrorKind::AmbiguousOutcome,
            "the sandbox ledger shows a double charge",
        ));
    }
    println!("{}", "Every payment taken once. That's bcpay.".green().bold());
    Ok(())
}
