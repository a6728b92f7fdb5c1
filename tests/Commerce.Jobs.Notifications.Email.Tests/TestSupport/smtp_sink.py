"""A throwaway SMTP server for the tests (aiosmtpd): writes each message it accepts to a folder and says so on stdout.

    python3 smtp_sink.py FOLDER [--refuse] [--drop-quit] [--tls CERT KEY] [--auth USER PASSWORD]

Listens on 127.0.0.1 on a port the system picks (bound here, so no other process can take it first) and prints
"READY <port>" once it does, then "RECEIVED <path>" per message accepted (written to a temporary
name, then renamed) or "REFUSED" per message refused (--refuse: 554). With --tls it offers STARTTLS and requires it;
with --auth it requires AUTH (PLAIN/LOGIN, over TLS only); with --drop-quit it answers QUIT by dropping the
connection. It stops when its stdin closes.
"""
import asyncio
import os
import socket
import ssl
import sys
import uuid

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Sink:
    def __init__(self, folder, refuse):
        self.folder = folder
        self.refuse = refuse

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            print("REFUSED", flush=True)
            return "554 5.7.1 Refused by the test server"
        name = uuid.uuid4().hex
        temporary = os.path.join(self.folder, name + ".tmp")
        path = os.path.join(self.folder, name + ".eml")
        content = envelope.original_content if envelope.original_content is not None else envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        with open(temporary, "wb") as f:
            f.write(content)
        os.replace(temporary, path)
        print("RECEIVED " + path, flush=True)
        return "250 OK"


class Authenticator:
    def __init__(self, user, password):
        self.user = user.encode()
        self.password = password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == self.user and auth_data.password == self.password
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


class DropQuit(SMTP):
    async def smtp_QUIT(self, arg):
        self.transport.abort()


async def serve(folder, refuse, smtp_class, kwargs):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    loop = asyncio.get_running_loop()
    handler = Sink(folder, refuse)
    server = await loop.create_server(lambda: smtp_class(handler, **kwargs), sock=listener)
    print("READY %d" % listener.getsockname()[1], flush=True)
    try:
        await loop.run_in_executor(None, sys.stdin.read)
    finally:
        server.close()


def main(argv):
    folder = argv[1]
    refuse = "--refuse" in argv
    kwargs = {}
    if "--tls" in argv:
        i = argv.index("--tls")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(argv[i + 1], argv[i + 2])
        kwargs.update(tls_context=context, require_starttls=True)
    if "--auth" in argv:
        i = argv.index("--auth")
        kwargs.update(authenticator=Authenticator(argv[i + 1], argv[i + 2]), auth_required=True, auth_require_tls=True)
    asyncio.run(serve(folder, refuse, DropQuit if "--drop-quit" in argv else SMTP, kwargs))


if __name__ == "__main__":
    main(sys.argv)
