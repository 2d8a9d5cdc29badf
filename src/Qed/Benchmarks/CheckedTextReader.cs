using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Qed.Benchmarks;

/// <summary>
/// How large one input field or row may be. Real rows are kilobytes (a long proof with its reasoning is a few
/// hundred KB); the limits stop a broken or hostile file long before it costs gigabytes.
/// </summary>
public sealed record InputLimits(int MaxFieldChars, int MaxRowChars)
{
    public static InputLimits Default { get; } = new(16 << 20, 32 << 20);

    public static string Describe(int chars) => chars % (1 << 20) == 0 ? $"{chars >> 20} MiB" : $"{chars:N0} characters";
}

/// <summary>How input files are read: limits, and whether invalid UTF-8 is an error (default) or a warning.</summary>
public sealed record InputOptions
{
    public static InputOptions Strict { get; } = new();
    public InputLimits Limits { get; init; } = InputLimits.Default;
    /// <summary>Replace invalid UTF-8 with U+FFFD and warn (naming the line) instead of failing.</summary>
    public bool LenientUtf8 { get; init; }
    public Action<string>? Warn { get; init; }
}

/// <summary>
/// Decodes a UTF-8 file as a stream of characters, a buffer at a time, and fails on invalid UTF-8 with the file
/// and line (or, lenient, replaces it with U+FFFD and warns once per line) instead of silently substituting it as
/// <see cref="StreamReader"/> does. A leading byte-order mark is skipped.
/// </summary>
public sealed class CheckedTextReader : TextReader
{
    private readonly Stream _stream;
    private readonly string _path;
    private readonly InputOptions _options;
    private readonly byte[] _bytes = new byte[1 << 16];
    private readonly char[] _chars = new char[(1 << 16) + 1];
    private int _byteStart, _byteEnd, _charPos, _charEnd;
    private bool _eof, _started;
    private long _decodedLine = 1; // the line the next decoded character is on
    private long _warnedLine;

    public CheckedTextReader(Stream stream, string path, InputOptions? options = null)
    {
        _stream = stream;
        _path = path;
        _options = options ?? InputOptions.Strict;
    }

    public static CheckedTextReader Open(string path, InputOptions? options = null) =>
        new(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan), path, options);

    public override int Peek() => _charPos < _charEnd || Fill() ? _chars[_charPos] : -1;

    public override int Read() => _charPos < _charEnd || Fill() ? _chars[_charPos++] : -1;

    public override int Read(Span<char> buffer)
    {
        if (_charPos >= _charEnd && !Fill()) return 0;
        var n = Math.Min(buffer.Length, _charEnd - _charPos);
        _chars.AsSpan(_charPos, n).CopyTo(buffer);
        _charPos += n;
        return n;
    }

    public override int Read(char[] buffer, int index, int count) => Read(buffer.AsSpan(index, count));

    public override string? ReadLine() => ReadLine(int.MaxValue, out _);

    /// <summary>The next line without its line break, or null at the end. A line longer than <paramref name="maxChars"/>
    /// is not read further: <paramref name="tooLong"/> is set and its first <paramref name="maxChars"/> characters returned.</summary>
    public string? ReadLine(int maxChars, out bool tooLong)
    {
        tooLong = false;
        if (_charPos >= _charEnd && !Fill()) return null;
        var line = new StringBuilder();
        while (_charPos < _charEnd || Fill())
        {
            var span = _chars.AsSpan(_charPos, _charEnd - _charPos);
            var nl = span.IndexOf('\n');
            var take = nl < 0 ? span.Length : nl;
            if (line.Length + take > maxChars)
            {
                line.Append(span[..(maxChars - line.Length)]);
                tooLong = true;
                return line.ToString();
            }
            line.Append(span[..take]);
            if (nl >= 0)
            {
                _charPos += nl + 1;
                if (line.Length > 0 && line[^1] == '\r') line.Length--;
                return line.ToString();
            }
            _charPos = _charEnd;
        }
        return line.ToString();
    }

    private bool Fill()
    {
        while (true)
        {
            if (!_eof && _byteEnd - _byteStart < 4)
            {
                Array.Copy(_bytes, _byteStart, _bytes, 0, _byteEnd - _byteStart);
                _byteEnd -= _byteStart;
                _byteStart = 0;
                while (!_eof && _byteEnd < _bytes.Length)
                {
                    var n = _stream.Read(_bytes, _byteEnd, _bytes.Length - _byteEnd);
                    if (n == 0) _eof = true;
                    _byteEnd += n;
                }
            }
            if (!_started)
            {
                _started = true;
                if (_bytes.AsSpan(_byteStart, _byteEnd - _byteStart).StartsWith("\uFEFF"u8)) _byteStart += 3;
            }
            if (_byteStart >= _byteEnd) return false;

            var status = Utf8.ToUtf16(_bytes.AsSpan(_byteStart, _byteEnd - _byteStart), _chars.AsSpan(0, _chars.Length - 1),
                out var read, out var written, replaceInvalidSequences: false, isFinalBlock: _eof);
            _decodedLine += _chars.AsSpan(0, written).Count('\n');
            _byteStart += read;
            _charPos = 0;
            _charEnd = written;
            // Invalid bytes are dealt with only when the reader reaches them (the text before them first), so a
            // reader that stops early (--limit) never fails on a row it does not read.
            if (status == OperationStatus.InvalidData && written == 0)
            {
                var bad = _bytes[_byteStart];
                if (!_options.LenientUtf8)
                    throw new QedException($"{_path}:{_decodedLine}: invalid UTF-8 (byte 0x{bad:X2}); save the file as UTF-8, or pass --lenient-utf8 to accept it with U+FFFD in place of the bad bytes");
                if (_warnedLine != _decodedLine)
                {
                    _warnedLine = _decodedLine;
                    _options.Warn?.Invoke($"{_path}:{_decodedLine}: invalid UTF-8 (byte 0x{bad:X2}) replaced by U+FFFD (--lenient-utf8)");
                }
                System.Text.Rune.DecodeFromUtf8(_bytes.AsSpan(_byteStart, _byteEnd - _byteStart), out _, out var skip);
                _byteStart += Math.Max(1, skip);
                _chars[_charEnd++] = '\uFFFD';
            }
            if (_charEnd > 0) return true;
            if (_eof && _byteStart >= _byteEnd) return false;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _stream.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>Finds which top-level field of a JSON object text that was cut off was being read at the cut.</summary>
public static class JsonPrefix
{
    public static string? OpenField(string prefix)
    {
        string? lastKey = null;
        var depth = 0;
        var inString = false;
        var escape = false;
        var start = -1;
        var expectKey = false;
        for (var i = 0; i < prefix.Length; i++)
        {
            var c = prefix[i];
            if (inString)
            {
                if (escape) escape = false;
                else if (c == '\\') escape = true;
                else if (c == '"')
                {
                    inString = false;
                    if (expectKey && depth == 1) lastKey = prefix[(start + 1)..i];
                    expectKey = false;
                }
                continue;
            }
            switch (c)
            {
                case '"': inString = true; start = i; break;
                case '{': depth++; expectKey = depth == 1; break;
                case '[': depth++; break;
                case '}' or ']': depth--; break;
                case ',' when depth == 1: expectKey = true; break;
            }
        }
        return lastKey;
    }
}
