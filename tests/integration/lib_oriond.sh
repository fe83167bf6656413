# Sourced by integration tests: configuration blocks they share.
#
#   orion_fix_sections PORT SESSIONS_FILE MAX_CONNECTIONS
#     prints oriond's [fix] section (FIX 4.4 acceptor on 127.0.0.1:PORT),
#     one instrument (AAPL, tick 0.01, reference 150.00, band 10 %) and
#     permissive [risk] limits, ready to go inside a here-document.
orion_fix_sections() {
	cat <<SECTIONS
[fix]
listen = 127.0.0.1:$1
sessions = $2
max_connections = $3
[instrument AAPL]
tick = 0.01
lot = 1
ref_price = 150.00
band_pct = 10
[risk]
max_order_qty = 1000000
max_notional = 100000000
collar_pct = 20
max_open_orders_session = 100000
order_rate_per_sec = 1000000
credit_limit = 1000000000
SECTIONS
}
