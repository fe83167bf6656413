// orion-fixclient: a QuickFIX (FIX 4.4) initiator that runs scripted
// scenarios against oriond's FIX order entry and checks every answer against
// the contract (.helpers/FIX_CONTRACT.md, FIX 4.4 Volume 2 and 4).
//
//   orion-fixclient SCENARIO --port N --dir DIR [options]
//   orion-fixclient --scenario SCENARIO ...
//
// Scenarios:
//   basic      two sessions: resting buy (New), partial and full fills on both
//              sides (CumQty/LeavesQty/AvgPx/LastQty/LastPx), an aggressor
//              sweeping two levels (AvgPx), cancel (150=4), replace quantity
//              down and price change (150=5), cancel/replace of an unknown
//              order (9), unsupported message type (j 380=3), duplicate
//              ClOrdID (150=8), mass cancel (r + 150=4), logout.
//   restart-a  one session: three resting orders; records sequence numbers,
//              OrderIDs and ExecutionReport MsgSeqNums in --state, then exits
//              without Logout (the test then kill -9s oriond).
//   restart-b  the same session and FileStore: rewinds the stored incoming
//              sequence number by --rewind messages (as if the last ones had
//              been lost with the old process), logs on, and checks that the
//              server's sequence numbers continued, that QuickFIX's
//              ResendRequest is answered with the original messages
//              (PossDupFlag=Y, same MsgSeqNum), that the server did not lose
//              ours (no ResendRequest/Logout from it) and that the orders are
//              known (OrderStatusRequest → 150=I with the same OrderID); then
//              cancels them and logs out.
//
// Options: --host H (127.0.0.1)  --port N  --dir DIR (QuickFIX store, logs,
//   generated settings)  --dict FILE (FIX44 data dictionary; default the first
//   of /usr/share/quickfix/FIX44.xml, /usr/local/share/quickfix/FIX44.xml)
//   --target COMPID (ORION)  --session SENDER:USER:PASSWORD (repeatable;
//   basic needs two, default CLIENT1:client1:secret1 CLIENT2:client2:secret2;
//   restart-* default CLIENT3:client3:secret3)  --symbol SYM (AAPL; prices
//   assume ref_price 150, band >= 5%)  --state FILE  --rewind N (2)
//   --timeout-ms N (5000 per expected message)  --quiet-log (no FileLog).
//
// Output: one line per received ExecutionReport / OrderCancelReject /
// BusinessMessageReject / OrderMassCancelReport / session Reject, one
// "FAIL: ..." line per failed check, and a final "PASS <scenario>" or
// "FAIL <scenario>: N checks failed". Exit 0 on PASS, 1 on FAIL, 2 on usage
// or setup errors.

#include <quickfix/Application.h>
#include <quickfix/FileLog.h>
#include <quickfix/FileStore.h>
#include <quickfix/Message.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/SocketInitiator.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <vector>

namespace {

struct Cred {
	std::string sender, user, password;
};

struct Options {
	std::string scenario;
	std::string host = "127.0.0.1";
	int port = 0;
	std::string dir;
	std::string dict;
	std::string target = "ORION";
	std::vector<Cred> sessions;
	std::string symbol = "AAPL";
	std::string state;
	int rewind = 2;
	int timeout_ms = 5000;
	bool file_log = true;
};

struct Received {
	std::string sender;  // our SenderCompID (the session it came in on)
	FIX::Message msg;
};

std::string field(const FIX::FieldMap &m, int tag)
{
	std::string v;
	if (m.isSetField(tag))
		v = m.getField(tag);
	return v;
}

std::string hdr(const FIX::Message &m, int tag)
{
	return field(m.getHeader(), tag);
}

std::string now_utc()
{
	auto t = std::chrono::system_clock::now();
	auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	char b[40];
	snprintf(b, sizeof(b), "%04d%02d%02d-%02d:%02d:%02d.%03d", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	return b;
}

// Numeric when both sides parse as numbers (150 == 150.00), else exact.
bool value_eq(const std::string &got, const std::string &want)
{
	if (got == want)
		return true;
	char *e1 = nullptr, *e2 = nullptr;
	if (got.empty() || want.empty())
		return false;
	double a = strtod(got.c_str(), &e1), b = strtod(want.c_str(), &e2);
	if (*e1 || *e2)
		return false;
	return std::fabs(a - b) <= 1e-9 * (std::fabs(b) + 1.0);
}

class Client : public FIX::Application {
public:
	explicit Client(const Options &o) : opt_(o)
	{
		for (const auto &c : o.sessions)
			creds_[c.sender] = c;
	}

	// ---- FIX::Application ----
	void onCreate(const FIX::SessionID &) override {}
	void onLogon(const FIX::SessionID &sid) override
	{
		std::lock_guard<std::mutex> g(mu_);
		logged_on_.insert(sid.getSenderCompID().getValue());
		say("logon " + sid.getSenderCompID().getValue());
		cv_.notify_all();
	}
	void onLogout(const FIX::SessionID &sid) override
	{
		std::lock_guard<std::mutex> g(mu_);
		logged_on_.erase(sid.getSenderCompID().getValue());
		say("logout " + sid.getSenderCompID().getValue());
		cv_.notify_all();
	}
	void toAdmin(FIX::Message &m, const FIX::SessionID &sid) override
	{
		std::string type = hdr(m, 35);
		std::string me = sid.getSenderCompID().getValue();
		if (type == "A") {
			auto it = creds_.find(me);
			if (it != creds_.end() && !it->second.user.empty()) {
				m.setField(553, it->second.user);
				m.setField(554, it->second.password);
			}
		}
		std::lock_guard<std::mutex> g(mu_);
		sent_admin_.push_back(Received{ me, m });
	}
	void toApp(FIX::Message &m, const FIX::SessionID &sid) noexcept override
	{
		std::lock_guard<std::mutex> g(mu_);
		last_app_seq_[sid.getSenderCompID().getValue()] = hdr(m, 34);
	}
	void fromAdmin(const FIX::Message &m, const FIX::SessionID &sid) noexcept override
	{
		std::string me = sid.getSenderCompID().getValue();
		std::string type = hdr(m, 35);
		std::lock_guard<std::mutex> g(mu_);
		if (type == "3")
			say("recv " + me + " Reject 34=" + hdr(m, 34) + " 45=" + field(m, 45) + " 372=" +
			    field(m, 372) + " 373=" + field(m, 373) + " 371=" + field(m, 371) + " 58=" +
			    field(m, 58));
		if (type == "A" || type == "2" || type == "3" || type == "5" || type == "4")
			admin_.push_back(Received{ me, m });
		cv_.notify_all();
	}
	void fromApp(const FIX::Message &m, const FIX::SessionID &sid) noexcept override
	{
		std::string me = sid.getSenderCompID().getValue();
		std::string type = hdr(m, 35);
		std::lock_guard<std::mutex> g(mu_);
		std::string dup = hdr(m, 43) == "Y" ? " PossDup" : "";
		if (type == "8")
			say("recv " + me + " ExecutionReport 34=" + hdr(m, 34) + dup + " 150=" +
			    field(m, 150) + " 39=" + field(m, 39) + " 11=" + field(m, 11) + " 41=" +
			    field(m, 41) + " 37=" + field(m, 37) + " 17=" + field(m, 17) + " 54=" +
			    field(m, 54) + " 38=" + field(m, 38) + " 44=" + field(m, 44) + " 32=" +
			    field(m, 32) + " 31=" + field(m, 31) + " 14=" + field(m, 14) + " 151=" +
			    field(m, 151) + " 6=" + field(m, 6) +
			    (m.isSetField(58) ? " 58=" + field(m, 58) : std::string()) +
			    (m.isSetField(103) ? " 103=" + field(m, 103) : std::string()));
		else if (type == "9")
			say("recv " + me + " OrderCancelReject 34=" + hdr(m, 34) + dup + " 11=" +
			    field(m, 11) + " 41=" + field(m, 41) + " 37=" + field(m, 37) + " 39=" +
			    field(m, 39) + " 434=" + field(m, 434) + " 102=" + field(m, 102) + " 58=" +
			    field(m, 58));
		else if (type == "j")
			say("recv " + me + " BusinessMessageReject 34=" + hdr(m, 34) + " 45=" +
			    field(m, 45) + " 372=" + field(m, 372) + " 380=" + field(m, 380) + " 58=" +
			    field(m, 58));
		else if (type == "r")
			say("recv " + me + " OrderMassCancelReport 34=" + hdr(m, 34) + " 11=" +
			    field(m, 11) + " 530=" + field(m, 530) + " 531=" + field(m, 531) + " 533=" +
			    field(m, 533));
		else
			say("recv " + me + " 35=" + type + " 34=" + hdr(m, 34));
		app_.push_back(Received{ me, m });
		cv_.notify_all();
	}

	// ---- helpers for scenarios ----
	void say(const std::string &s)
	{
		std::lock_guard<std::mutex> g(out_mu_);
		std::cout << s << std::endl;
	}

	bool wait_logon(const std::string &sender, bool want)
	{
		std::unique_lock<std::mutex> l(mu_);
		return cv_.wait_for(l, std::chrono::milliseconds(opt_.timeout_ms * 2), [&] {
			return (logged_on_.count(sender) != 0) == want;
		});
	}

	// First queued application message on 'sender' matching p; removed.
	bool take_app(const std::string &sender, const std::function<bool(const FIX::Message &)> &p,
		      FIX::Message &out, int timeout_ms = -1)
	{
		return take(app_, sender, p, out, timeout_ms);
	}
	bool take_admin(const std::string &sender, const std::function<bool(const FIX::Message &)> &p,
			FIX::Message &out, int timeout_ms = -1)
	{
		return take(admin_, sender, p, out, timeout_ms);
	}
	std::vector<Received> drain_app()
	{
		std::lock_guard<std::mutex> g(mu_);
		std::vector<Received> v(app_.begin(), app_.end());
		app_.clear();
		return v;
	}
	std::vector<Received> admin_snapshot()
	{
		std::lock_guard<std::mutex> g(mu_);
		return std::vector<Received>(admin_.begin(), admin_.end());
	}
	std::vector<Received> sent_admin_snapshot()
	{
		std::lock_guard<std::mutex> g(mu_);
		return sent_admin_;
	}
	std::string last_app_seq(const std::string &sender)
	{
		std::lock_guard<std::mutex> g(mu_);
		return last_app_seq_[sender];
	}

private:
	bool take(std::deque<Received> &q, const std::string &sender,
		  const std::function<bool(const FIX::Message &)> &p, FIX::Message &out, int timeout_ms)
	{
		if (timeout_ms < 0)
			timeout_ms = opt_.timeout_ms;
		std::unique_lock<std::mutex> l(mu_);
		auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
		for (;;) {
			for (auto it = q.begin(); it != q.end(); ++it) {
				if (it->sender == sender && p(it->msg)) {
					out = it->msg;
					q.erase(it);
					return true;
				}
			}
			if (cv_.wait_until(l, deadline) == std::cv_status::timeout) {
				for (auto it = q.begin(); it != q.end(); ++it) {
					if (it->sender == sender && p(it->msg)) {
						out = it->msg;
						q.erase(it);
						return true;
					}
				}
				return false;
			}
		}
	}

	const Options &opt_;
	std::map<std::string, Cred> creds_;
	std::mutex mu_, out_mu_;
	std::condition_variable cv_;
	std::set<std::string> logged_on_;
	std::deque<Received> app_, admin_;
	std::vector<Received> sent_admin_;
	std::map<std::string, std::string> last_app_seq_;
};

typedef std::map<int, std::string> Expect;

class Runner {
public:
	Runner(const Options &o, Client &c) : opt_(o), c_(c)
	{
		char b[32];
		snprintf(b, sizeof(b), "%lx", (unsigned long)time(nullptr) % 0xfffffffUL);
		run_ = b;
	}

	int failures() const { return fails_; }

	void fail(const std::string &what)
	{
		fails_++;
		c_.say("FAIL: " + what);
	}

	std::string id(const std::string &name) const { return name + "-" + run_; }

	FIX::SessionID sid(const std::string &sender) const
	{
		return FIX::SessionID("FIX.4.4", sender, opt_.target);
	}

	bool send(const std::string &sender, FIX::Message &m)
	{
		if (!FIX::Session::sendToTarget(m, sid(sender))) {
			fail("send " + hdr(m, 35) + " on " + sender + ": session not found or not sent");
			return false;
		}
		return true;
	}

	FIX::Message base(const char *type)
	{
		FIX::Message m;
		m.getHeader().setField(8, "FIX.4.4");
		m.getHeader().setField(35, type);
		return m;
	}

	void new_order(const std::string &sender, const std::string &cl, char side, int qty,
		       const std::string &px, char tif = '0')
	{
		FIX::Message m = base("D");
		m.setField(11, cl);
		m.setField(55, opt_.symbol);
		m.setField(54, std::string(1, side));
		m.setField(60, now_utc());
		m.setField(38, std::to_string(qty));
		m.setField(40, "2");
		m.setField(44, px);
		m.setField(59, std::string(1, tif));
		send(sender, m);
	}

	void cancel(const std::string &sender, const std::string &cl, const std::string &orig, char side,
		    int qty)
	{
		FIX::Message m = base("F");
		m.setField(41, orig);
		m.setField(11, cl);
		m.setField(55, opt_.symbol);
		m.setField(54, std::string(1, side));
		m.setField(60, now_utc());
		m.setField(38, std::to_string(qty));
		send(sender, m);
	}

	void replace(const std::string &sender, const std::string &cl, const std::string &orig,
		     char side, int qty, const std::string &px)
	{
		FIX::Message m = base("G");
		m.setField(41, orig);
		m.setField(11, cl);
		m.setField(55, opt_.symbol);
		m.setField(54, std::string(1, side));
		m.setField(60, now_utc());
		m.setField(38, std::to_string(qty));
		m.setField(40, "2");
		m.setField(44, px);
		send(sender, m);
	}

	void status(const std::string &sender, const std::string &cl, char side)
	{
		FIX::Message m = base("H");
		m.setField(11, cl);
		m.setField(55, opt_.symbol);
		m.setField(54, std::string(1, side));
		send(sender, m);
	}

	// Compare fields of m against want; record failures under 'what'.
	void check_fields(const std::string &what, const FIX::Message &m, const Expect &want)
	{
		for (const auto &kv : want) {
			std::string got = field(m, kv.first);
			if (!value_eq(got, kv.second))
				fail(what + ": tag " + std::to_string(kv.first) + " is '" + got +
				     "', want '" + kv.second + "'");
		}
	}

	void note_exec_id(const std::string &sender, const FIX::Message &m, const std::string &what)
	{
		std::string e = field(m, 17);
		if (e.empty()) {
			fail(what + ": no ExecID (17)");
			return;
		}
		if (hdr(m, 43) == "Y")
			return;
		if (!exec_ids_[sender].insert(e).second)
			fail(what + ": ExecID " + e + " repeated on " + sender);
	}

	// Wait for an ExecutionReport on sender for ClOrdID cl with ExecType et.
	bool er(const std::string &what, const std::string &sender, const std::string &cl, char et,
		const Expect &want, FIX::Message *out = nullptr)
	{
		FIX::Message m;
		std::string ets(1, et);
		bool ok = c_.take_app(sender, [&](const FIX::Message &x) {
			return hdr(x, 35) == "8" && field(x, 11) == cl && field(x, 150) == ets;
		}, m);
		if (!ok) {
			fail(what + ": no ExecutionReport 150=" + ets + " for 11=" + cl + " on " + sender +
			     " within " + std::to_string(opt_.timeout_ms) + " ms");
			return false;
		}
		check_fields(what, m, want);
		note_exec_id(sender, m, what);
		for (int t : { 37, 55, 54, 60 })
			if (!m.isSetField(t))
				fail(what + ": tag " + std::to_string(t) + " missing");
		if (out)
			*out = m;
		return true;
	}

	// ER matched by OrderID (for unsolicited cancels whose 11 may vary).
	bool er_by_order(const std::string &what, const std::string &sender, const std::string &oid,
			 char et, const Expect &want)
	{
		FIX::Message m;
		std::string ets(1, et);
		bool ok = c_.take_app(sender, [&](const FIX::Message &x) {
			return hdr(x, 35) == "8" && field(x, 37) == oid && field(x, 150) == ets;
		}, m);
		if (!ok) {
			fail(what + ": no ExecutionReport 150=" + ets + " for 37=" + oid + " on " +
			     sender);
			return false;
		}
		check_fields(what, m, want);
		note_exec_id(sender, m, what);
		return true;
	}

	void seq_before(const std::string &what, const FIX::Message &a, const FIX::Message &b)
	{
		long x = atol(hdr(a, 34).c_str()), y = atol(hdr(b, 34).c_str());
		if (!(x > 0 && x < y))
			fail(what + ": MsgSeqNum " + hdr(a, 34) + " should come before " + hdr(b, 34));
	}

	// Anything left unconsumed: session Rejects are failures, others noted.
	void leftovers()
	{
		for (const auto &r : c_.drain_app())
			fail("unexpected message on " + r.sender + ": 35=" + hdr(r.msg, 35) + " 11=" +
			     field(r.msg, 11) + " 150=" + field(r.msg, 150));
		for (const auto &r : c_.admin_snapshot())
			if (hdr(r.msg, 35) == "3")
				fail("session Reject on " + r.sender + ": 45=" + field(r.msg, 45) +
				     " 373=" + field(r.msg, 373) + " 371=" + field(r.msg, 371) +
				     " 58=" + field(r.msg, 58));
	}

	const std::string &run_id() const { return run_; }

private:
	const Options &opt_;
	Client &c_;
	std::string run_;
	int fails_ = 0;
	std::map<std::string, std::set<std::string>> exec_ids_;
};

// ---------------------------------------------------------------- scenarios

void scenario_basic(const Options &o, Client &c, Runner &r)
{
	const std::string s1 = o.sessions[0].sender, s2 = o.sessions[1].sender;
	FIX::Message m, n;

	// 1. A buy limit rests.
	std::string b1 = r.id("b1");
	r.new_order(s1, b1, '1', 100, "150.00");
	FIX::Message b1_new;
	r.er("b1 rests", s1, b1, '0', { { 39, "0" }, { 14, "0" }, { 151, "100" }, { 38, "100" },
					{ 44, "150" }, { 54, "1" }, { 55, o.symbol } }, &b1_new);
	std::string oid_b1 = field(b1_new, 37);

	// 2. A sell crosses it partially (trade at the resting price).
	std::string s_1 = r.id("s1");
	r.new_order(s2, s_1, '2', 40, "149.50");
	if (r.er("s1 new", s2, s_1, '0', { { 39, "0" }, { 151, "40" }, { 14, "0" } }, &m) &&
	    r.er("s1 filled", s2, s_1, 'F', { { 39, "2" }, { 32, "40" }, { 31, "150" }, { 14, "40" },
					      { 151, "0" }, { 6, "150" } }, &n))
		r.seq_before("s1 New before Trade", m, n);
	r.er("b1 partial", s1, b1, 'F', { { 39, "1" }, { 32, "40" }, { 31, "150" }, { 14, "40" },
					  { 151, "60" }, { 6, "150" }, { 37, oid_b1 } });

	// 3. Another sell fills the rest.
	std::string s_2 = r.id("s2");
	r.new_order(s2, s_2, '2', 60, "150.00");
	r.er("s2 new", s2, s_2, '0', { { 39, "0" } });
	r.er("s2 filled", s2, s_2, 'F', { { 39, "2" }, { 32, "60" }, { 31, "150" }, { 14, "60" },
					  { 151, "0" }, { 6, "150" } });
	r.er("b1 filled", s1, b1, 'F', { { 39, "2" }, { 32, "60" }, { 31, "150" }, { 14, "100" },
					 { 151, "0" }, { 6, "150" }, { 37, oid_b1 } });

	// 4. A buy sweeps two sell levels: AvgPx is the weighted average.
	std::string s_3 = r.id("s3"), s_4 = r.id("s4"), b2 = r.id("b2");
	r.new_order(s2, s_3, '2', 30, "151.00");
	r.er("s3 rests", s2, s_3, '0', { { 39, "0" }, { 151, "30" } });
	r.new_order(s2, s_4, '2', 20, "152.00");
	r.er("s4 rests", s2, s_4, '0', { { 39, "0" }, { 151, "20" } });
	r.new_order(s1, b2, '1', 50, "152.00");
	r.er("b2 new", s1, b2, '0', { { 39, "0" } });
	r.er("b2 fill 1", s1, b2, 'F', { { 39, "1" }, { 32, "30" }, { 31, "151" }, { 14, "30" },
					 { 151, "20" }, { 6, "151" } });
	// The second fill has the same ClOrdID and ExecType: take it after the first.
	r.er("b2 fill 2", s1, b2, 'F', { { 39, "2" }, { 32, "20" }, { 31, "152" }, { 14, "50" },
					 { 151, "0" }, { 6, "151.4" } });
	r.er("s3 filled", s2, s_3, 'F', { { 39, "2" }, { 32, "30" }, { 31, "151" }, { 14, "30" },
					  { 151, "0" }, { 6, "151" } });
	r.er("s4 filled", s2, s_4, 'F', { { 39, "2" }, { 32, "20" }, { 31, "152" }, { 14, "20" },
					  { 151, "0" }, { 6, "152" } });

	// 5. Cancel a resting order.
	std::string b3 = r.id("b3"), c1 = r.id("c1");
	FIX::Message b3_new;
	r.new_order(s1, b3, '1', 10, "148.00");
	r.er("b3 rests", s1, b3, '0', { { 39, "0" }, { 151, "10" } }, &b3_new);
	r.cancel(s1, c1, b3, '1', 10);
	r.er("b3 canceled", s1, c1, '4', { { 39, "4" }, { 41, b3 }, { 151, "0" }, { 14, "0" },
					   { 37, field(b3_new, 37) } });

	// 6. Replace: quantity down, then price change; OrderID is kept.
	std::string b4 = r.id("b4"), r1 = r.id("r1"), r2 = r.id("r2");
	FIX::Message b4_new;
	r.new_order(s1, b4, '1', 20, "147.00");
	r.er("b4 rests", s1, b4, '0', { { 39, "0" }, { 151, "20" } }, &b4_new);
	std::string oid_b4 = field(b4_new, 37);
	r.replace(s1, r1, b4, '1', 15, "147.00");
	r.er("b4 qty down", s1, r1, '5', { { 39, "0" }, { 41, b4 }, { 38, "15" }, { 44, "147" },
					   { 151, "15" }, { 14, "0" }, { 37, oid_b4 } });
	r.replace(s1, r2, r1, '1', 15, "147.50");
	r.er("b4 price change", s1, r2, '5', { { 39, "0" }, { 41, r1 }, { 38, "15" }, { 44, "147.5" },
					       { 151, "15" }, { 37, oid_b4 } });

	// 7. Cancel and replace of an unknown order → OrderCancelReject.
	std::string c2 = r.id("c2"), r3 = r.id("r3"), ghost = r.id("ghost");
	r.cancel(s1, c2, ghost, '1', 1);
	if (c.take_app(s1, [&](const FIX::Message &x) { return hdr(x, 35) == "9" && field(x, 11) == c2; }, m))
		r.check_fields("cancel unknown", m, { { 41, ghost }, { 434, "1" }, { 102, "1" } });
	else
		r.fail("cancel unknown: no OrderCancelReject for 11=" + c2);
	r.replace(s1, r3, ghost, '1', 1, "140.00");
	if (c.take_app(s1, [&](const FIX::Message &x) { return hdr(x, 35) == "9" && field(x, 11) == r3; }, m))
		r.check_fields("replace unknown", m, { { 41, ghost }, { 434, "2" }, { 102, "1" } });
	else
		r.fail("replace unknown: no OrderCancelReject for 11=" + r3);

	// 8. A valid FIX 4.4 message type oriond does not support → j 380=3.
	FIX::Message sdr = r.base("c");
	sdr.setField(320, r.id("sdr"));
	sdr.setField(321, "0");
	sdr.setField(55, o.symbol);
	r.send(s1, sdr);
	std::string sdr_seq = c.last_app_seq(s1);
	if (c.take_app(s1, [&](const FIX::Message &x) { return hdr(x, 35) == "j"; }, m))
		r.check_fields("unsupported type", m, { { 372, "c" }, { 380, "3" }, { 45, sdr_seq } });
	else
		r.fail("unsupported type: no BusinessMessageReject for 35=c");

	// 9. Duplicate ClOrdID among live orders → 150=8 with a reason.
	std::string b5 = r.id("b5");
	FIX::Message b5_new;
	r.new_order(s1, b5, '1', 5, "146.00");
	r.er("b5 rests", s1, b5, '0', { { 39, "0" } }, &b5_new);
	r.new_order(s1, b5, '1', 5, "146.00");
	if (r.er("duplicate ClOrdID", s1, b5, '8', { { 39, "8" } }, &m) && field(m, 58).empty())
		r.fail("duplicate ClOrdID: reject without Text (58)");

	// 10. Mass cancel of everything left on s1 (b4 as r2, b5).
	std::string mc = r.id("mc");
	FIX::Message q = r.base("q");
	q.setField(11, mc);
	q.setField(530, "7");
	q.setField(60, now_utc());
	r.send(s1, q);
	if (c.take_app(s1, [&](const FIX::Message &x) { return hdr(x, 35) == "r"; }, m))
		r.check_fields("mass cancel", m, { { 11, mc }, { 530, "7" }, { 531, "7" } });
	else
		r.fail("mass cancel: no OrderMassCancelReport");
	r.er_by_order("mass cancel b4", s1, oid_b4, '4', { { 39, "4" }, { 151, "0" } });
	r.er_by_order("mass cancel b5", s1, field(b5_new, 37), '4', { { 39, "4" }, { 151, "0" } });

	// Nothing else should arrive.
	std::this_thread::sleep_for(std::chrono::milliseconds(300));
	r.leftovers();
}

std::map<std::string, std::string> read_state(const std::string &path)
{
	std::map<std::string, std::string> kv;
	std::ifstream f(path);
	std::string line;
	while (std::getline(f, line)) {
		auto eq = line.find('=');
		if (eq != std::string::npos)
			kv[line.substr(0, eq)] = line.substr(eq + 1);
	}
	return kv;
}

struct RestartOrder {
	const char *name;
	int qty;
	const char *px;
};
const RestartOrder g_restart_orders[] = { { "ra1", 10, "140.00" }, { "ra2", 11, "140.50" },
					  { "ra3", 12, "141.00" } };

// Phase a: returns without logging out; main() then exits at once.
void scenario_restart_a(const Options &o, Client &c, Runner &r)
{
	const std::string s = o.sessions[0].sender;
	std::ostringstream st;
	long last_er_seq = 0;
	for (const auto &ro : g_restart_orders) {
		std::string cl = r.id(ro.name);
		FIX::Message m;
		r.new_order(s, cl, '1', ro.qty, ro.px, '1');
		if (!r.er(std::string(ro.name) + " rests", s, cl, '0',
			  { { 39, "0" }, { 151, std::to_string(ro.qty) } }, &m))
			return;
		last_er_seq = atol(hdr(m, 34).c_str());
		st << ro.name << "=" << cl << "," << field(m, 37) << "," << hdr(m, 34) << "," << ro.qty
		   << "\n";
	}
	FIX::Session *ss = FIX::Session::lookupSession(r.sid(s));
	if (!ss) {
		r.fail("restart-a: session lost");
		return;
	}
	// QuickFIX counts the incoming message after fromApp returns: wait until
	// the store has taken the last one, so the state matches the FileStore.
	for (int i = 0; i < 200 && ss->getExpectedTargetNum() <= last_er_seq; i++)
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
	if (ss->getExpectedTargetNum() != last_er_seq + 1)
		r.fail("restart-a: expected target seq " + std::to_string(ss->getExpectedTargetNum()) +
		       " after ER " + std::to_string(last_er_seq));
	st << "next_sender=" << ss->getExpectedSenderNum() << "\n";
	st << "next_target=" << ss->getExpectedTargetNum() << "\n";
	std::ofstream f(o.state);
	f << st.str();
	f.close();
	if (!f)
		r.fail("restart-a: cannot write " + o.state);
	c.say("restart-a: next_sender=" + std::to_string(ss->getExpectedSenderNum()) +
	      " next_target=" + std::to_string(ss->getExpectedTargetNum()));
	r.leftovers();
}

void scenario_restart_b(const Options &o, Client &c, Runner &r,
			const std::map<std::string, std::string> &st)
{
	const std::string s = o.sessions[0].sender;
	long next_sender = atol(st.at("next_sender").c_str());
	long next_target = atol(st.at("next_target").c_str());
	struct Known {
		std::string name, cl, oid;
		long er_seq;
		int qty;
	};
	std::vector<Known> orders;
	for (const auto &ro : g_restart_orders) {
		auto it = st.find(ro.name);
		if (it == st.end()) {
			r.fail(std::string("restart-b: state has no ") + ro.name);
			return;
		}
		std::vector<std::string> parts;
		std::stringstream ss(it->second);
		std::string p;
		while (std::getline(ss, p, ','))
			parts.push_back(p);
		if (parts.size() != 4) {
			r.fail("restart-b: bad state line " + it->second);
			return;
		}
		orders.push_back(Known{ ro.name, parts[0], parts[1], atol(parts[2].c_str()),
					atoi(parts[3].c_str()) });
	}
	long rewound_to = next_target - o.rewind;

	// The server's Logon continues its numbering.
	FIX::Message m;
	if (c.take_admin(s, [](const FIX::Message &x) { return hdr(x, 35) == "A"; }, m)) {
		if (atol(hdr(m, 34).c_str()) != next_target)
			r.fail("server Logon MsgSeqNum " + hdr(m, 34) + ", want " +
			       std::to_string(next_target) + " (sequence numbers must continue)");
		if (field(m, 141) == "Y")
			r.fail("server Logon has ResetSeqNumFlag=Y");
	} else {
		r.fail("no Logon from the server");
	}
	// Ours continued too: our Logon went out with next_sender.
	bool saw_logon = false, saw_rr = false;
	for (const auto &a : c.sent_admin_snapshot()) {
		if (a.sender != s)
			continue;
		if (hdr(a.msg, 35) == "A" && !saw_logon) {
			saw_logon = true;
			if (atol(hdr(a.msg, 34).c_str()) != next_sender)
				r.fail("our Logon went out as " + hdr(a.msg, 34) + ", want " +
				       std::to_string(next_sender) + " (client store not reused?)");
		}
		if (hdr(a.msg, 35) == "2")
			saw_rr = true;
	}
	if (o.rewind > 0) {
		// QuickFIX asked for the rewound range; the server resends the
		// original ExecutionReports with PossDupFlag=Y and their MsgSeqNum.
		if (!saw_rr) {
			// The ResendRequest goes out right after the Logon; give it a moment.
			std::this_thread::sleep_for(std::chrono::milliseconds(200));
			for (const auto &a : c.sent_admin_snapshot())
				if (a.sender == s && hdr(a.msg, 35) == "2")
					saw_rr = true;
		}
		if (!saw_rr)
			r.fail("client sent no ResendRequest after rewinding to " +
			       std::to_string(rewound_to));
		for (const auto &k : orders) {
			if (k.er_seq < rewound_to)
				continue;
			std::string want_seq = std::to_string(k.er_seq);
			if (c.take_app(s, [&](const FIX::Message &x) {
				    return hdr(x, 35) == "8" && hdr(x, 34) == want_seq;
			    }, m)) {
				r.check_fields("resent " + k.name, m, { { 11, k.cl }, { 37, k.oid }, { 150, "0" } });
				if (hdr(m, 43) != "Y")
					r.fail("resent " + k.name + ": PossDupFlag is '" + hdr(m, 43) + "'");
				if (hdr(m, 122).empty())
					r.fail("resent " + k.name + ": no OrigSendingTime (122)");
			} else {
				r.fail("resent " + k.name + ": ExecutionReport 34=" + want_seq +
				       " not resent after kill -9");
			}
		}
	}
	// The orders survived the restart.
	std::vector<const Known *> alive;
	for (const auto &k : orders) {
		r.status(s, k.cl, '1');
		FIX::Message x;
		if (!c.take_app(s, [&](const FIX::Message &y) {
			    return hdr(y, 35) == "8" && field(y, 150) == "I" && field(y, 11) == k.cl;
		    }, x)) {
			r.fail("status " + k.name + ": no ExecutionReport 150=I for 11=" + k.cl);
			continue;
		}
		if (field(x, 37) != k.oid || field(x, 39) == "8") {
			r.fail("order " + k.name + " (37=" + k.oid + ") lost across the restart: status says 37=" +
			       field(x, 37) + " 39=" + field(x, 39) + " 58=" + field(x, 58));
			continue;
		}
		r.check_fields("status " + k.name, x, { { 39, "0" }, { 151, std::to_string(k.qty) }, { 14, "0" } });
		alive.push_back(&k);
	}
	// The server did not lose our sequence numbers: no ResendRequest from it.
	for (const auto &a : c.admin_snapshot())
		if (a.sender == s && hdr(a.msg, 35) == "2")
			r.fail("server sent ResendRequest 7=" + field(a.msg, 7) + " 16=" + field(a.msg, 16) +
			       ": it lost our incoming sequence number");
	// Clean up: cancel the ones that are still there.
	for (const Known *k : alive) {
		std::string cl = r.id("x" + k->name);
		r.cancel(s, cl, k->cl, '1', k->qty);
		r.er("cancel " + k->name, s, cl, '4', { { 39, "4" }, { 41, k->cl }, { 37, k->oid } });
	}
	std::this_thread::sleep_for(std::chrono::milliseconds(300));
	r.leftovers();
}

// ---------------------------------------------------------------- setup

void usage()
{
	std::cerr << "usage: orion-fixclient SCENARIO|--scenario SCENARIO --port N --dir DIR\n"
		     "  [--host H] [--dict FIX44.xml] [--target COMPID] [--session SENDER:USER:PW]...\n"
		     "  [--symbol SYM] [--state FILE] [--rewind N] [--timeout-ms N] [--quiet-log]\n"
		     "scenarios: basic restart-a restart-b\n";
}

bool parse(int argc, char **argv, Options &o)
{
	for (int i = 1; i < argc; i++) {
		std::string a = argv[i];
		auto val = [&](std::string &dst) {
			if (i + 1 >= argc)
				return false;
			dst = argv[++i];
			return true;
		};
		std::string v;
		if (a == "--scenario" || a == "--host" || a == "--port" || a == "--dir" ||
		    a == "--dict" || a == "--target" || a == "--session" || a == "--symbol" ||
		    a == "--state" || a == "--rewind" || a == "--timeout-ms") {
			if (!val(v)) {
				std::cerr << "missing value for " << a << "\n";
				return false;
			}
		}
		if (a == "--scenario") o.scenario = v;
		else if (a == "--host") o.host = v;
		else if (a == "--port") o.port = atoi(v.c_str());
		else if (a == "--dir") o.dir = v;
		else if (a == "--dict") o.dict = v;
		else if (a == "--target") o.target = v;
		else if (a == "--symbol") o.symbol = v;
		else if (a == "--state") o.state = v;
		else if (a == "--rewind") o.rewind = atoi(v.c_str());
		else if (a == "--timeout-ms") o.timeout_ms = atoi(v.c_str());
		else if (a == "--quiet-log") o.file_log = false;
		else if (a == "--session") {
			Cred c;
			auto p1 = v.find(':'), p2 = v.find(':', p1 == std::string::npos ? p1 : p1 + 1);
			c.sender = v.substr(0, p1);
			if (p1 != std::string::npos)
				c.user = v.substr(p1 + 1, p2 == std::string::npos ? std::string::npos : p2 - p1 - 1);
			if (p2 != std::string::npos)
				c.password = v.substr(p2 + 1);
			if (c.sender.empty()) {
				std::cerr << "bad --session " << v << "\n";
				return false;
			}
			o.sessions.push_back(c);
		} else if (a == "-h" || a == "--help") {
			return false;
		} else if (a[0] != '-' && o.scenario.empty()) {
			o.scenario = a;
		} else {
			std::cerr << "unknown argument " << a << "\n";
			return false;
		}
	}
	if (o.scenario != "basic" && o.scenario != "restart-a" && o.scenario != "restart-b") {
		std::cerr << "unknown scenario '" << o.scenario << "'\n";
		return false;
	}
	if (o.port <= 0 || o.port > 65535 || o.dir.empty() || o.timeout_ms <= 0 || o.rewind < 0) {
		std::cerr << "--port and --dir are required\n";
		return false;
	}
	if ((o.scenario == "restart-a" || o.scenario == "restart-b") && o.state.empty()) {
		std::cerr << "restart scenarios need --state FILE\n";
		return false;
	}
	if (o.sessions.empty()) {
		if (o.scenario == "basic") {
			o.sessions.push_back(Cred{ "CLIENT1", "client1", "secret1" });
			o.sessions.push_back(Cred{ "CLIENT2", "client2", "secret2" });
		} else {
			o.sessions.push_back(Cred{ "CLIENT3", "client3", "secret3" });
		}
	}
	if (o.scenario == "basic" && o.sessions.size() < 2) {
		std::cerr << "basic needs two --session\n";
		return false;
	}
	if (o.dict.empty()) {
		for (const char *p : { "/usr/share/quickfix/FIX44.xml", "/usr/local/share/quickfix/FIX44.xml" }) {
			struct stat sb;
			if (stat(p, &sb) == 0) {
				o.dict = p;
				break;
			}
		}
	}
	if (o.dict.empty()) {
		std::cerr << "no FIX44 data dictionary found: pass --dict FILE\n";
		return false;
	}
	return true;
}

std::string settings_text(const Options &o)
{
	std::ostringstream s;
	s << "[DEFAULT]\n"
	  << "ConnectionType=initiator\n"
	  << "BeginString=FIX.4.4\n"
	  << "TargetCompID=" << o.target << "\n"
	  << "SocketConnectHost=" << o.host << "\n"
	  << "SocketConnectPort=" << o.port << "\n"
	  << "HeartBtInt=30\n"
	  << "ReconnectInterval=1\n"
	  << "StartTime=00:00:00\nEndTime=00:00:00\n"
	  << "FileStorePath=" << o.dir << "/store\n"
	  << "FileLogPath=" << o.dir << "/log\n"
	  << "UseDataDictionary=Y\n"
	  << "DataDictionary=" << o.dict << "\n"
	  << "ValidateUserDefinedFields=N\n"
	  << "AllowUnknownMsgFields=Y\n"
	  << "ResetOnLogon=N\nResetOnLogout=N\nResetOnDisconnect=N\n"
	  << "LogonTimeout=5\nLogoutTimeout=3\n"
	  << "CheckLatency=N\n"
	  << "PersistMessages=Y\n";
	for (const auto &c : o.sessions)
		s << "[SESSION]\nSenderCompID=" << c.sender << "\n";
	return s.str();
}

} // namespace

int main(int argc, char **argv)
{
	Options o;
	if (!parse(argc, argv, o)) {
		usage();
		return 2;
	}
	mkdir(o.dir.c_str(), 0755);
	std::string cfg_path = o.dir + "/initiator-" + o.scenario + ".cfg";
	{
		std::ofstream f(cfg_path);
		f << settings_text(o);
		if (!f) {
			std::cerr << "cannot write " << cfg_path << "\n";
			return 2;
		}
	}
	std::map<std::string, std::string> state;
	if (o.scenario == "restart-b") {
		state = read_state(o.state);
		if (!state.count("next_sender") || !state.count("next_target")) {
			std::cerr << "restart-b: " << o.state << " has no restart-a state\n";
			return 2;
		}
		long nt = atol(state["next_target"].c_str());
		if (o.rewind > 0 && nt - o.rewind >= 1) {
			// Forget the last messages received before the restart, so the
			// Logon shows a gap and QuickFIX must ask for them again.
			try {
				FIX::FileStore fs(o.dir + "/store",
						  FIX::SessionID("FIX.4.4", o.sessions[0].sender, o.target));
				if (fs.getNextTargetMsgSeqNum() != (int)nt) {
					std::cerr << "restart-b: client store has target seq "
						  << fs.getNextTargetMsgSeqNum() << ", state says " << nt << "\n";
					std::cout << "FAIL " << o.scenario << ": client store mismatch\n";
					return 1;
				}
				fs.setNextTargetMsgSeqNum((int)(nt - o.rewind));
			} catch (const std::exception &e) {
				std::cerr << "restart-b: file store: " << e.what() << "\n";
				return 2;
			}
		}
	}

	Client client(o);
	Runner runner(o, client);
	std::unique_ptr<FIX::SessionSettings> settings;
	std::unique_ptr<FIX::FileStoreFactory> store;
	std::unique_ptr<FIX::LogFactory> log;
	std::unique_ptr<FIX::SocketInitiator> init;
	try {
		settings.reset(new FIX::SessionSettings(cfg_path));
		store.reset(new FIX::FileStoreFactory(*settings));
		if (o.file_log)
			log.reset(new FIX::FileLogFactory(*settings));
		if (log)
			init.reset(new FIX::SocketInitiator(client, *store, *settings, *log));
		else
			init.reset(new FIX::SocketInitiator(client, *store, *settings));
		init->start();
	} catch (const std::exception &e) {
		std::cerr << "quickfix setup: " << e.what() << "\n";
		return 2;
	}

	bool all_on = true;
	for (const auto &c : o.sessions)
		if (!client.wait_logon(c.sender, true)) {
			runner.fail("no Logon for " + c.sender + " within " +
				    std::to_string(2 * o.timeout_ms) + " ms");
			all_on = false;
		}
	if (all_on) {
		try {
			if (o.scenario == "basic")
				scenario_basic(o, client, runner);
			else if (o.scenario == "restart-a")
				scenario_restart_a(o, client, runner);
			else
				scenario_restart_b(o, client, runner, state);
		} catch (const std::exception &e) {
			runner.fail(std::string("exception: ") + e.what());
		}
	}

	if (o.scenario == "restart-a") {
		// Leave like a crashed client: no Logout, no store cleanup.
		if (runner.failures())
			std::cout << "FAIL " << o.scenario << ": " << runner.failures() << " checks failed"
				  << std::endl;
		else
			std::cout << "PASS " << o.scenario << std::endl;
		std::_Exit(runner.failures() ? 1 : 0);
	}

	for (const auto &c : o.sessions) {
		FIX::Session *s = FIX::Session::lookupSession(runner.sid(c.sender));
		if (s && s->isLoggedOn())
			s->logout("orion-fixclient done");
	}
	for (const auto &c : o.sessions)
		if (!client.wait_logon(c.sender, false))
			runner.fail("Logout of " + c.sender + " not answered");
	init->stop();
	if (runner.failures()) {
		std::cout << "FAIL " << o.scenario << ": " << runner.failures() << " checks failed"
			  << std::endl;
		return 1;
	}
	std::cout << "PASS " << o.scenario << std::endl;
	return 0;
}
