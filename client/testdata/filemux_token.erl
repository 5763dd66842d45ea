%% A custom callback for Erlang's tftp daemon (TestErlangCallback): it serves a
%% generated file to requests carrying the option token=s3cret, answers that
%% option with "accepted", and refuses everything else with an access violation.
-module(filemux_token).
-export([prepare/6, open/6, read/1, write/2, abort/3]).

prepare(_Peer, _Access, _File, _Mode, Opts, State) -> {ok, Opts, State}.

open(_Peer, read, File, _Mode, Opts, _State) ->
    case lists:keyfind("token", 1, Opts) of
        {_, "s3cret"} ->
            Bin = list_to_binary(["generated for ", File, "\n"]),
            {ok, [answer(O, Bin) || O <- Opts], Bin};
        _ ->
            {error, {eacces, "token required"}}
    end;
open(_Peer, write, _File, _Mode, _Opts, _State) ->
    {error, {eacces, "read only"}}.

answer({"token", _}, _Bin) -> {"token", "accepted"};
answer({"tsize", _}, Bin) -> {"tsize", integer_to_list(byte_size(Bin))};
answer(O, _Bin) -> O.

read(Bin) -> {last, Bin, byte_size(Bin)}.
write(_Bin, State) -> {error, {eacces, "read only"}, State}.
abort(_Code, _Text, _State) -> ok.
