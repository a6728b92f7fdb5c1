using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Commerce.Jobs.Adapters.Tests.TestSupport;

/// <summary>
/// A bare TCP listener on 127.0.0.1 that reads HTTP/1.1 requests byte by byte, as a naive endpoint would (request line,
/// header lines up to an empty line, then <c>Content-Length</c> bytes), records each one raw, and answers every request
/// <c>200 OK</c> with no body. Unlike Kestrel it rejects nothing, so a request smuggled inside a header shows up here as
/// a request of its own.
/// </summary>
public sealed class RawHttpServer : IAsyncDisposable
{
    private static readonly byte[] Ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"u8.ToArray();

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<RawRequest> _requests = new();
    private readonly List<Task> _connections = [];
    private readonly Task _accepting;

    public RawHttpServer()
    {
        _listener.Start();
        var port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        Uri = new Uri($"http://127.0.0.1:{port}/hooks/orders");
        _accepting = AcceptAsync();
    }

    /// <summary>Gets the address to post to.</summary>
    public Uri Uri { get; }

    /// <summary>Gets the requests read so far, in order of arrival.</summary>
    public IReadOnlyList<RawRequest> Requests => _requests.ToArray();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        Task[] connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }

        await Task.WhenAll(connections).WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            lock (_connections)
            {
                _connections.Add(ServeAsync(client));
            }
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            var reader = new ByteReader(stream, _stop.Token);
            try
            {
                while (await reader.ReadLineAsync() is { } requestLine)
                {
                    if (requestLine.Length == 0)
                    {
                        continue;                   // a stray CRLF between requests
                    }

                    var headers = new List<string>();
                    while (await reader.ReadLineAsync() is { Length: > 0 } header)
                    {
                        headers.Add(header);
                    }

                    var length = headers
                        .Where(h => h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                        .Select(h => int.Parse(h["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture))
                        .FirstOrDefault();
                    var body = await reader.ReadBytesAsync(length);
                    _requests.Enqueue(new RawRequest(requestLine, headers, body));
                    await stream.WriteAsync(Ok, _stop.Token);
                }
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or FormatException)
            {
                // The client went away, or the test ended.
            }
        }
    }

    /// <summary>Reads CRLF-terminated lines (as Latin-1, so every byte shows) and counted bytes off a stream.</summary>
    private sealed class ByteReader(NetworkStream stream, CancellationToken cancellationToken)
    {
        private readonly byte[] _buffer = new byte[16 * 1024];
        private int _start;
        private int _end;

        public async Task<string?> ReadLineAsync()
        {
            var line = new List<byte>();
            while (true)
            {
                if (_start == _end && !await FillAsync())
                {
                    return line.Count == 0 ? null : Encoding.Latin1.GetString(line.ToArray());
                }

                var b = _buffer[_start++];
                if (b == '\n')
                {
                    if (line.Count > 0 && line[^1] == '\r')
                    {
                        line.RemoveAt(line.Count - 1);
                    }

                    return Encoding.Latin1.GetString(line.ToArray());
                }

                line.Add(b);
            }
        }

        public async Task<byte[]> ReadBytesAsync(int count)
        {
            var bytes = new byte[count];
            var read = 0;
            while (read < count)
            {
                if (_start == _end && !await FillAsync())
                {
                    throw new IOException("The connection closed inside a body.");
                }

                var take = Math.Min(count - read, _end - _start);
                Array.Copy(_buffer, _start, bytes, read, take);
                _start += take;
                read += take;
            }

            return bytes;
        }

        private async Task<bool> FillAsync()
        {
            _start = 0;
            _end = await stream.ReadAsync(_buffer, cancellationToken);
            return _end > 0;
        }
    }
}

/// <summary>One request as the raw server read it.</summary>
public sealed record RawRequest(string RequestLine, IReadOnlyList<string> HeaderLines, byte[] Body)
{
    /// <summary>Gets the values of every header line named <paramref name="name"/>.</summary>
    public IReadOnlyList<string> Header(string name) => HeaderLines
        .Where(h => h.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))
        .Select(h => h[(name.Length + 1)..].Trim(' ', '\t'))
        .ToList();
}
