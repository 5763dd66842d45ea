package peers

import (
	"regexp"
	"strconv"
)

// erlangClientScript runs tftp:read_file or tftp:write_file with the
// request from the environment. In memory mode the download lands in a
// binary (Erlang's tftp_binary) that is then saved for the checksum, and the
// upload is read into a binary first.
const erlangClientScript = `
E = fun(K) -> os:getenv(K) end,
Opts0 = [{host, E("FILEMUX_PEER_HOST")}, {port, list_to_integer(E("FILEMUX_PEER_PORT"))}],
Opts1 = case E("FILEMUX_PEER_BLKSIZE") of false -> Opts0; B -> [{"blksize", B} | Opts0] end,
Opts = case E("FILEMUX_PEER_TSIZE") of "1" -> [{use_tsize, true} | Opts1]; _ -> Opts1 end,
Remote = E("FILEMUX_PEER_REMOTE"), Local = E("FILEMUX_PEER_LOCAL"),
R = case {E("FILEMUX_PEER_OP"), E("FILEMUX_PEER_MEMORY")} of
  {"get", "1"} ->
    case tftp:read_file(Remote, binary, Opts) of
      {ok, Bin} -> ok = file:write_file(Local, Bin), {ok, byte_size(Bin)};
      Err -> Err
    end;
  {"get", _} -> tftp:read_file(Remote, Local, Opts);
  {"put", "1"} -> {ok, Bin} = file:read_file(Local), tftp:write_file(Remote, Bin, Opts);
  {"put", _} -> tftp:write_file(Remote, Local, Opts)
end,
io:format("~p~n", [R]),
halt(case R of {ok, _} -> 0; _ -> 1 end).`

func erlangCommand(r Request, upload, memory bool) command {
	env := []string{
		"FILEMUX_PEER_HOST=" + r.Server.Addr().String(),
		"FILEMUX_PEER_PORT=" + strconv.Itoa(int(r.Server.Port())),
		"FILEMUX_PEER_REMOTE=" + r.Remote,
		"FILEMUX_PEER_LOCAL=" + r.Local,
		"FILEMUX_PEER_OP=" + op(upload),
		"FILEMUX_PEER_MEMORY=" + envBool(memory),
		"FILEMUX_PEER_TSIZE=" + envBool(r.TSize),
	}
	if r.BlockSize != 0 {
		env = append(env, "FILEMUX_PEER_BLKSIZE="+strconv.Itoa(r.BlockSize))
	}
	return command{prog: "erl", args: []string{"-noshell", "-eval", erlangClientScript}, env: env, code: erlangCode}
}

func op(upload bool) string {
	if upload {
		return "put"
	}
	return "get"
}

var erlangError = regexp.MustCompile(`\{error,\s*\{\w+,\s*(\w+),`)

// erlangCodes are the atoms Erlang's tftp uses for the RFC codes.
var erlangCodes = map[string]int{
	"undef": 0, "enoent": 1, "eacces": 2, "enospc": 3, "badop": 4,
	"badblk": 5, "eexist": 6, "baduser": 7, "badopt": 8,
}

// erlangCode reads the code from {error, {Where, Code, Text}}, where Code
// is an atom or a number.
func erlangCode(out string, _ int) int {
	m := erlangError.FindStringSubmatch(out)
	if m == nil {
		return -1
	}
	if n, err := strconv.Atoi(m[1]); err == nil {
		return n
	}
	if n, ok := erlangCodes[m[1]]; ok {
		return n
	}
	return -1
}

// nodeClientScript runs the npm tftp client's get or put with the request
// from the environment; node's defaults stand for what is not set.
const nodeClientScript = `
const tftp = require(process.env.FILEMUX_NODE_TFTP);
const e = process.env;
const c = tftp.createClient({
  host: e.FILEMUX_PEER_HOST, port: +e.FILEMUX_PEER_PORT,
  blockSize: +e.FILEMUX_PEER_BLKSIZE || undefined, windowSize: +e.FILEMUX_PEER_WINDOW || undefined,
  retries: 5, timeout: 1000,
});
const done = (err) => {
  if (err) { console.error("FILEMUX-ERROR " + err.message); process.exit(1); }
  console.log("FILEMUX-OK");
  process.exit(0);
};
if (e.FILEMUX_PEER_OP === "put") c.put(e.FILEMUX_PEER_LOCAL, e.FILEMUX_PEER_REMOTE, done);
else c.get(e.FILEMUX_PEER_REMOTE, e.FILEMUX_PEER_LOCAL, done);
`

func nodeCommand(r Request, upload bool) (command, error) {
	mod, err := Lookup(ProgNodeTFTP)
	if err != nil {
		return command{}, err
	}
	env := []string{
		"FILEMUX_NODE_TFTP=" + mod,
		"FILEMUX_PEER_HOST=" + r.Server.Addr().String(),
		"FILEMUX_PEER_PORT=" + strconv.Itoa(int(r.Server.Port())),
		"FILEMUX_PEER_REMOTE=" + r.Remote,
		"FILEMUX_PEER_LOCAL=" + r.Local,
		"FILEMUX_PEER_OP=" + op(upload),
		"FILEMUX_PEER_BLKSIZE=" + strconv.Itoa(r.BlockSize),
		"FILEMUX_PEER_WINDOW=" + strconv.Itoa(r.WindowSize),
	}
	return command{prog: "node", args: []string{"-e", nodeClientScript}, env: env}, nil
}
