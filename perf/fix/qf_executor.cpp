// qf_executor: a QuickFIX FIX 4.4 acceptor used as the baseline of the FIX
// order-entry benchmark (perf/fix/bench_fix_rtt.sh).
//
// Answers every NewOrderSingle with ExecutionReport New (150=0/39=0) and every
// OrderCancelRequest with ExecutionReport Canceled (150=4/39=4); keeps no
// book. Sessions CLIENT1..N (TargetCompID) against SenderCompID ORION come
// from a settings file generated in memory (or --settings FILE); messages are
// stored in memory (default) or in files (--store file); no log unless
// --screen-log. One SocketAcceptor thread serves every session (the same
// shape as oriond's single FIX lcore); --threaded uses a thread per session.
//
// Prints "qf_executor: running" once it listens; SIGINT/SIGTERM stop it and
// print the counters. Exit status: 0, 1 QuickFIX error, 2 bad arguments.
#include <getopt.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include <quickfix/Application.h>
#include <quickfix/FileStore.h>
#include <quickfix/Log.h>
#include <quickfix/MessageCracker.h>
#include <quickfix/MessageStore.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/SocketAcceptor.h>
#include <quickfix/ThreadedSocketAcceptor.h>
#include <quickfix/fix44/ExecutionReport.h>
#include <quickfix/fix44/NewOrderSingle.h>
#include <quickfix/fix44/OrderCancelRequest.h>

namespace {

struct Options {
	int port = 9878;
	unsigned sessions = 1;
	std::string sender = "ORION";
	std::string target_prefix = "CLIENT";
	std::string password;            // checked against 554 on Logon when set
	std::string store = "memory";    // memory | file
	std::string store_path = "/tmp/qf_executor/store";
	std::string dict;                // FIX44.xml: enables UseDataDictionary
	std::string settings_file;       // use this instead of generating
	bool threaded = false;
	bool screen_log = false;
	bool print_settings = false;
};

// The application: stateless answers, counters for the final report. The
// counters are atomics because --threaded calls back from several threads.
class Executor : public FIX::Application, public FIX::MessageCracker {
public:
	explicit Executor(const std::string &password) : password_(password) {}

	std::atomic<unsigned long long> orders{0}, cancels{0}, logons{0}, logouts{0}, bad_logons{0},
		send_failures{0};

	void onCreate(const FIX::SessionID &) override {}
	void onLogon(const FIX::SessionID &) override { ++logons; }
	void onLogout(const FIX::SessionID &) override { ++logouts; }
	void toAdmin(FIX::Message &, const FIX::SessionID &) override {}
	void toApp(FIX::Message &, const FIX::SessionID &) throw(FIX::DoNotSend) override {}

	void fromAdmin(const FIX::Message &m, const FIX::SessionID &)
		throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue,
		      FIX::RejectLogon) override
	{
		if (password_.empty())
			return;
		FIX::MsgType type;
		m.getHeader().getField(type);
		if (type.getValue() != FIX::MsgType_Logon)
			return;
		FIX::Password pw;
		if (m.isSetField(pw))
			m.getField(pw);
		if (pw.getValue() != password_) {
			++bad_logons;
			throw FIX::RejectLogon("bad password");
		}
	}

	void fromApp(const FIX::Message &m, const FIX::SessionID &sid)
		throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue,
		      FIX::UnsupportedMessageType) override
	{
		crack(m, sid);
	}

	void onMessage(const FIX44::NewOrderSingle &m, const FIX::SessionID &sid) override
	{
		FIX::ClOrdID cl_ord_id;
		FIX::Symbol symbol;
		FIX::Side side;
		FIX::OrderQty qty;
		FIX::Price price;
		FIX::OrdType ord_type;
		m.getField(cl_ord_id);
		m.getField(symbol);
		m.getField(side);
		m.getField(qty);
		unsigned long long n = ++orders;
		FIX44::ExecutionReport er(FIX::OrderID("O" + std::to_string(n)), next_exec_id(),
					  FIX::ExecType(FIX::ExecType_NEW), FIX::OrdStatus(FIX::OrdStatus_NEW), side,
					  FIX::LeavesQty(qty.getValue()), FIX::CumQty(0), FIX::AvgPx(0));
		er.setField(cl_ord_id);
		er.setField(symbol);
		er.setField(qty);
		if (m.isSetField(ord_type))
			er.setField(m.getField(ord_type));
		if (m.isSetField(price))
			er.setField(m.getField(price));
		er.setField(FIX::TransactTime(6));
		send(er, sid);
	}

	void onMessage(const FIX44::OrderCancelRequest &m, const FIX::SessionID &sid) override
	{
		FIX::ClOrdID cl_ord_id;
		FIX::OrigClOrdID orig;
		FIX::Symbol symbol;
		FIX::Side side;
		FIX::OrderQty qty;
		m.getField(cl_ord_id);
		m.getField(orig);
		m.getField(symbol);
		m.getField(side);
		++cancels;
		FIX44::ExecutionReport er(FIX::OrderID("O" + orig.getValue()), next_exec_id(),
					  FIX::ExecType(FIX::ExecType_CANCELED), FIX::OrdStatus(FIX::OrdStatus_CANCELED),
					  side, FIX::LeavesQty(0), FIX::CumQty(0), FIX::AvgPx(0));
		er.setField(cl_ord_id);
		er.setField(orig);
		er.setField(symbol);
		if (m.isSetField(qty))
			er.setField(m.getField(qty));
		er.setField(FIX::TransactTime(6));
		send(er, sid);
	}

private:
	std::string password_;
	std::atomic<unsigned long long> exec_ids_{0};

	FIX::ExecID next_exec_id() { return FIX::ExecID("E" + std::to_string(++exec_ids_)); }

	void send(FIX::Message &m, const FIX::SessionID &sid)
	{
		try {
			if (!FIX::Session::sendToTarget(m, sid))
				++send_failures;
		} catch (const FIX::SessionNotFound &) {
			++send_failures;
		}
	}
};

void usage(std::FILE *f)
{
	std::fprintf(f,
		     "usage: qf_executor [options]\n"
		     "  --port P              listen port (9878)\n"
		     "  --sessions N          sessions TargetCompID=PREFIX1..N (1)\n"
		     "  --sender ID           our SenderCompID (ORION)\n"
		     "  --target-prefix P     client CompID prefix (CLIENT)\n"
		     "  --password P          require Password (554) = P on Logon\n"
		     "  --store memory|file   message store (memory)\n"
		     "  --store-path DIR      FileStorePath for --store file (/tmp/qf_executor/store)\n"
		     "  --dict FILE           FIX44.xml: validate with a data dictionary (off)\n"
		     "  --settings FILE       use this QuickFIX settings file instead of generating one\n"
		     "  --print-settings      print the generated settings and exit\n"
		     "  --threaded            ThreadedSocketAcceptor (a thread per session)\n"
		     "  --screen-log          log messages and events to stdout (off)\n");
}

int parse_args(int argc, char **argv, Options &o)
{
	enum { O_PORT = 256, O_SESS, O_SENDER, O_TPFX, O_PW, O_STORE, O_SPATH, O_DICT, O_SETTINGS, O_PRINT,
	       O_THREADED, O_SCREEN, O_HELP };
	static const struct option lo[] = {
		{"port", 1, nullptr, O_PORT},         {"sessions", 1, nullptr, O_SESS},
		{"sender", 1, nullptr, O_SENDER},     {"target-prefix", 1, nullptr, O_TPFX},
		{"password", 1, nullptr, O_PW},       {"store", 1, nullptr, O_STORE},
		{"store-path", 1, nullptr, O_SPATH},  {"dict", 1, nullptr, O_DICT},
		{"settings", 1, nullptr, O_SETTINGS}, {"print-settings", 0, nullptr, O_PRINT},
		{"threaded", 0, nullptr, O_THREADED}, {"screen-log", 0, nullptr, O_SCREEN},
		{"help", 0, nullptr, O_HELP},         {nullptr, 0, nullptr, 0},
	};
	int c;
	char *end;
	while ((c = getopt_long(argc, argv, "h", lo, nullptr)) != -1) {
		switch (c) {
		case O_PORT:
			o.port = static_cast<int>(std::strtol(optarg, &end, 10));
			if (*end || o.port <= 0 || o.port > 65535)
				return -1;
			break;
		case O_SESS:
			o.sessions = static_cast<unsigned>(std::strtoul(optarg, &end, 10));
			if (*end || o.sessions == 0 || o.sessions > 100000)
				return -1;
			break;
		case O_SENDER: o.sender = optarg; break;
		case O_TPFX: o.target_prefix = optarg; break;
		case O_PW: o.password = optarg; break;
		case O_STORE:
			o.store = optarg;
			if (o.store != "memory" && o.store != "file")
				return -1;
			break;
		case O_SPATH: o.store_path = optarg; break;
		case O_DICT: o.dict = optarg; break;
		case O_SETTINGS: o.settings_file = optarg; break;
		case O_PRINT: o.print_settings = true; break;
		case O_THREADED: o.threaded = true; break;
		case O_SCREEN: o.screen_log = true; break;
		case O_HELP:
		case 'h': usage(stdout); std::exit(0);
		default: return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

std::string make_settings(const Options &o)
{
	std::ostringstream s;
	s << "[DEFAULT]\n"
	  << "ConnectionType=acceptor\n"
	  << "SocketAcceptPort=" << o.port << "\n"
	  << "SocketReuseAddress=Y\n"
	  << "SocketNodelay=Y\n"
	  << "BeginString=FIX.4.4\n"
	  << "SenderCompID=" << o.sender << "\n"
	  << "StartTime=00:00:00\n"
	  << "EndTime=00:00:00\n"
	  << "HeartBtInt=30\n"
	  << "ResetOnLogon=Y\n"
	  << "ResetOnDisconnect=Y\n"
	  << "PersistMessages=Y\n";
	if (o.dict.empty())
		s << "UseDataDictionary=N\n";
	else
		s << "UseDataDictionary=Y\nDataDictionary=" << o.dict << "\n";
	if (o.store == "file")
		s << "FileStorePath=" << o.store_path << "\n";
	for (unsigned i = 1; i <= o.sessions; i++)
		s << "[SESSION]\nTargetCompID=" << o.target_prefix << i << "\n";
	return s.str();
}

void on_stop_signal(int) {}

} // namespace

int main(int argc, char **argv)
{
	Options o;
	if (parse_args(argc, argv, o) != 0) {
		usage(stderr);
		return 2;
	}
	std::string text;
	if (o.settings_file.empty()) {
		text = make_settings(o);
		if (o.print_settings) {
			std::fputs(text.c_str(), stdout);
			return 0;
		}
	}
	// Block the stop signals in every thread QuickFIX starts; main waits on
	// them. A handler first: a shell starts background jobs with SIGINT
	// ignored, and an ignored signal never reaches sigwait().
	struct sigaction sa = {};
	sa.sa_handler = on_stop_signal;
	sigaction(SIGINT, &sa, nullptr);
	sigaction(SIGTERM, &sa, nullptr);
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, nullptr);

	Executor app(o.password);
	try {
		FIX::SessionSettings settings;
		if (o.settings_file.empty()) {
			std::istringstream in(text);
			settings = FIX::SessionSettings(in);
		} else {
			settings = FIX::SessionSettings(o.settings_file);
		}
		std::unique_ptr<FIX::MessageStoreFactory> store;
		if (o.store == "file")
			store.reset(new FIX::FileStoreFactory(settings));
		else
			store.reset(new FIX::MemoryStoreFactory());
		std::unique_ptr<FIX::LogFactory> log;
		if (o.screen_log)
			log.reset(new FIX::ScreenLogFactory(true, true, true));
		std::unique_ptr<FIX::Acceptor> acceptor;
		if (o.threaded)
			acceptor.reset(log ? new FIX::ThreadedSocketAcceptor(app, *store, settings, *log)
					   : new FIX::ThreadedSocketAcceptor(app, *store, settings));
		else
			acceptor.reset(log ? new FIX::SocketAcceptor(app, *store, settings, *log)
					   : new FIX::SocketAcceptor(app, *store, settings));
		acceptor->start();
		std::printf("qf_executor: running: port %d, %zu sessions, %s store, %s, dictionary %s\n", o.port,
			    settings.getSessions().size(), o.store.c_str(),
			    o.threaded ? "thread per session" : "one thread", o.dict.empty() ? "off" : o.dict.c_str());
		std::fflush(stdout);
		int sig = 0;
		sigwait(&stop, &sig);
		acceptor->stop();
	} catch (const std::exception &e) {
		std::fprintf(stderr, "qf_executor: %s\n", e.what());
		return 1;
	}
	std::printf("qf_executor: orders=%llu cancels=%llu logons=%llu logouts=%llu bad_logons=%llu "
		    "send_failures=%llu\n",
		    app.orders.load(), app.cancels.load(), app.logons.load(), app.logouts.load(), app.bad_logons.load(),
		    app.send_failures.load());
	return 0;
}
