-- lib.lua - shared helpers for the miltertest(8) cases; see t_miltertest.sh.
--
-- A case file starts with
--     local t = dofile(os.getenv("MT_LIB"))
--     t.run(function() ... end)
-- and shows only the conversation: each step sends one milter command and
-- checks the reply, e.g. t.mail(conn, "<a@acme.example>", SMFIR_CONTINUE).
-- A failed check is kept as "what: got X, want Y"; t.run prints them all
-- and exits 1, or exits 77 after t.skip.  Errors are caught with pcall,
-- because miltertest prints nothing for a Lua error.
--
-- miltertest knows the reply code only, except at end of message; reply
-- texts are checked in the daemon's per-message summary line (LogLevel
-- debug on stderr, MT_LOG), found by the client host name, which every
-- case makes unique.
--
-- Environment: MT_SOCKET (unix:PATH), MT_LOG, MT_PID (the daemon),
-- MT_CONF (its config file), MT_DATADIR.

local t = {}

t.socket = os.getenv("MT_SOCKET")
t.logfile = os.getenv("MT_LOG")
t.pid = os.getenv("MT_PID")
t.conf = os.getenv("MT_CONF")
t.datadir = os.getenv("MT_DATADIR")

local failures = {}
local skipped = nil

local reply_names = {
	[SMFIR_CONTINUE] = "SMFIR_CONTINUE", [SMFIR_ACCEPT] = "SMFIR_ACCEPT",
	[SMFIR_REJECT] = "SMFIR_REJECT", [SMFIR_TEMPFAIL] = "SMFIR_TEMPFAIL",
	[SMFIR_DISCARD] = "SMFIR_DISCARD", [SMFIR_REPLYCODE] = "SMFIR_REPLYCODE",
}

-- The name of a reply code, e.g. "SMFIR_REPLYCODE".
function t.reply_name(r)
	if r == nil then
		return "nothing"
	end
	if reply_names[r] then
		return reply_names[r]
	end
	if r >= 32 and r < 127 then
		return string.format("'%s'", string.char(math.floor(r)))
	end
	return string.format("%d", math.floor(r))
end

-- Shortens long values in messages.
local function show(s)
	s = tostring(s)
	if #s > 120 then
		s = s:sub(1, 100) .. string.format("...(%d bytes)", #s)
	end
	return s
end

function t.fail(what, got, want)
	table.insert(failures, string.format("%s: got %s, want %s", what, show(got), show(want)))
end

function t.eq(what, got, want)
	if got ~= want then
		t.fail(what, got, want)
	end
	return got == want
end

function t.truth(what, cond, got, want)
	if not cond then
		t.fail(what, got, want)
	end
	return cond
end

-- Marks the case skipped with a reason (exit 77).
function t.skip(reason)
	skipped = reason
	error("skip", 0)
end

-- Checks the reply to the step just made; err is what the mt.* call returned.
-- want is one SMFIR_* code or a list of acceptable codes.
function t.expect(conn, what, err, want)
	local wants = type(want) == "table" and want or { want }
	local names = {}
	for _, w in ipairs(wants) do
		table.insert(names, t.reply_name(w))
	end
	local wanted = table.concat(names, " or ")
	if err ~= nil then
		t.fail(what, "error '" .. tostring(err) .. "'", wanted)
		return false
	end
	local got = mt.getreply(conn)
	for _, w in ipairs(wants) do
		if got == w then
			return true
		end
	end
	t.fail(what, t.reply_name(got), wanted)
	return false
end

-- Opens a session from host [ip] ("unspec": no address, as sendmail -bs).
function t.session(host, ip)
	local conn = mt.connect(t.socket, 50, 0.1)
	if conn == nil then
		error("mt.connect(" .. t.socket .. ") failed")
	end
	local err = mt.conninfo(conn, host, ip)
	if not t.expect(conn, "connect " .. host, err, SMFIR_CONTINUE) then
		error("connection from " .. host .. " not continued")
	end
	-- HELO now, not implicitly before MAIL: libmilter would drop the
	-- MAIL macros sent before it
	if not t.expect(conn, "HELO " .. host, mt.helo(conn, host), SMFIR_CONTINUE) then
		error("HELO from " .. host .. " not continued")
	end
	return conn
end

-- miltertest copies MAIL, RCPT and header arguments into a 1 KB stack
-- buffer, unchecked for MAIL and headers (it dies of "stack smashing");
-- longer ones belong in rawmilter.py.
local function fits(what, ...)
	local n = 0
	for _, s in ipairs({ ... }) do
		n = n + #s + 1
	end
	if n > 1024 then
		error(string.format("%s: %d bytes do not fit miltertest's 1 KB buffer; use rawmilter.py",
				    what, n), 2)
	end
end

-- One MAIL; login, when given, is sent as the {auth_authen} macro.
function t.mail(conn, sender, want, login)
	fits("MAIL", sender)
	if login ~= nil then
		mt.macro(conn, SMFIC_MAIL, "{auth_authen}", login)
	end
	return t.expect(conn, "MAIL " .. show(sender), mt.mailfrom(conn, sender), want)
end

function t.rcpt(conn, rcpt, want)
	fits("RCPT", rcpt)
	return t.expect(conn, "RCPT " .. show(rcpt), mt.rcptto(conn, rcpt), want)
end

function t.header(conn, name, value, want)
	fits("header " .. name, name, value)
	return t.expect(conn, "header " .. name .. ": " .. show(value),
			mt.header(conn, name, value), want)
end

function t.eoh(conn, want)
	return t.expect(conn, "end of headers", mt.eoh(conn), want)
end

-- Sends data as body chunks of at most 65000 bytes (libmilter's limit is 64 KB).
function t.body(conn, data, want)
	local ok = true
	local i = 1
	repeat
		local chunk = data:sub(i, i + 64999)
		i = i + #chunk
		ok = t.expect(conn, string.format("body chunk ending at byte %d", i - 1),
			      mt.bodystring(conn, chunk), i > #data and want or SMFIR_CONTINUE)
	until not ok or i > #data
	return ok
end

function t.eom(conn, want)
	return t.expect(conn, "end of message", mt.eom(conn), want)
end

-- At end of message: the exact reply the milter set (code, status, text).
function t.eom_reply(conn, code, xcode, text)
	return t.truth("end-of-message reply",
		       mt.eom_check(conn, MT_SMTPREPLY, code, xcode, text),
		       "another reply (see the summary line)",
		       string.format("'%s %s %s'", code, xcode, text))
end

-- A whole small message after MAIL and RCPT; want is the end-of-message reply.
function t.message(conn, subject, want)
	t.header(conn, "From", "sender@example.com", SMFIR_CONTINUE)
	t.header(conn, "Subject", subject, SMFIR_CONTINUE)
	t.eoh(conn, SMFIR_CONTINUE)
	t.body(conn, "Hello.\r\n", SMFIR_CONTINUE)
	return t.eom(conn, want)
end

-- Sends headers (a list of {name, value}); returns their size as the
-- daemon counts it: "Name: value\r\n" each, plus the "\r\n" ending them.
function t.send_headers(conn, headers)
	local size = 2
	for _, h in ipairs(headers) do
		t.header(conn, h[1], h[2], SMFIR_CONTINUE)
		size = size + #h[1] + 2 + #h[2] + 2
	end
	return size
end

-- A body of exactly n bytes: lines of text ending in CRLF (n >= 2).
function t.body_of(n)
	local line = string.rep("0123456789", 7) .. "\r\n"
	local s = string.rep(line, (n - 2) // #line)
	return s .. string.rep("x", n - 2 - #s) .. "\r\n"
end

-- Headers and body of a multipart/mixed message with n attachments.
function t.mime(n)
	local headers = {
		{ "From", "sender@acme.example" },
		{ "Subject", string.format("%d attachments", n) },
		{ "MIME-Version", "1.0" },
		{ "Content-Type", 'multipart/mixed; boundary="b1"' },
	}
	local parts = { "This is a multi-part message.\r\n",
			"--b1\r\nContent-Type: text/plain\r\n\r\nSee the attachments.\r\n" }
	for i = 1, n do
		table.insert(parts, string.format(
			"--b1\r\nContent-Type: application/octet-stream; name=\"a%d.bin\"\r\n" ..
			"Content-Disposition: attachment; filename=\"a%d.bin\"\r\n" ..
			"Content-Transfer-Encoding: base64\r\n\r\nAAECAwQF\r\n", i, i))
	end
	table.insert(parts, "--b1--\r\n")
	return headers, table.concat(parts)
end

-- Reads the whole daemon log.
function t.read_log()
	local f = io.open(t.logfile, "rb")
	if f == nil then
		return ""
	end
	local s = f:read("a")
	f:close()
	return s
end

-- Waits up to timeout seconds (default 5) for a log line containing text.
function t.wait_log(text, timeout)
	local waited = 0
	timeout = timeout or 5
	while true do
		for line in t.read_log():gmatch("[^\n]+") do
			if line:find(text, 1, true) then
				return line
			end
		end
		if waited >= timeout then
			return nil
		end
		mt.sleep(0.05)
		waited = waited + 0.05
	end
end

-- Waits up to timeout seconds for n log lines containing text; returns
-- how many there are.
function t.wait_count(text, n, timeout)
	local waited = 0
	timeout = timeout or 5
	while true do
		local count = 0
		for line in t.read_log():gmatch("[^\n]+") do
			if line:find(text, 1, true) then
				count = count + 1
			end
		end
		if count >= n or waited >= timeout then
			return count
		end
		mt.sleep(0.05)
		waited = waited + 0.05
	end
end

-- The last summary line logged for client (waits for it), or nil.
function t.summary(client, timeout)
	local needle = " client=" .. client .. "["
	local waited = 0
	timeout = timeout or 5
	while true do
		local found = nil
		for line in t.read_log():gmatch("[^\n]+") do
			if line:find(" summary ", 1, true) and line:find(needle, 1, true) then
				found = line
			end
		end
		if found or waited >= timeout then
			return found
		end
		mt.sleep(0.05)
		waited = waited + 0.05
	end
end

-- Checks that client's summary line contains each of the given texts.
function t.summary_has(client, ...)
	local line = t.summary(client)
	if line == nil then
		t.fail("summary line for client " .. client, "none", "one")
		return
	end
	local shown = line:gsub("^.- summary ", "summary ", 1)
	for _, text in ipairs({ ... }) do
		if not line:find(text, 1, true) then
			table.insert(failures, string.format("summary for client %s: got '%s', want a line containing '%s'",
							     client, shown, text))
		end
	end
end

-- Runs a shell command (signals to the daemon); fails the case when it fails.
function t.sh(cmd)
	local ok = os.execute(cmd)
	if not ok then
		error("command failed: " .. cmd)
	end
end

function t.read_file(path)
	local f = assert(io.open(path, "rb"))
	local s = f:read("a")
	f:close()
	return s
end

function t.write_file(path, s)
	local f = assert(io.open(path, "wb"))
	f:write(s)
	f:close()
end

-- Runs the case body and exits: 0 passed, 1 failed, 77 skipped.
function t.run(fn)
	local ok, err = pcall(fn)
	if not ok and skipped == nil then
		if type(err) ~= "string" then
			-- mt.* raise a stray stack value when an earlier step left
			-- the connection in a state they cannot continue from
			err = "miltertest stopped the case (a step on a failed connection)"
		end
		table.insert(failures, "Lua error: " .. err)
	end
	if skipped ~= nil then
		print(skipped)
		os.exit(77)
	end
	for _, f in ipairs(failures) do
		print(f)
	end
	os.exit(#failures == 0 and 0 or 1)
end

return t
