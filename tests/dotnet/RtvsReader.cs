// Independent .NET readers for the files rtvs.remote hands the RTVS broker (tests/dotnet).
//
// Compiled with Mono's mcs at test time (tests/dotnet/conftest.py caches the exe by source hash).
// Reads a JSON list of requests on stdin, writes a JSON list of results on stdout:
//   {"kind": "pfx", "path": "...", "password": "..."}
//       opens the PFX as the broker does (new X509Certificate2(path, password[, flags])) and with
//       X509Certificate2Collection.Import, signs with the private key and verifies with the public key.
//   {"kind": "config", "path": "..."}
//       reads the file as ASP.NET Core 1.x's JSON configuration provider (Microsoft.Extensions.
//       Configuration.Json 1.x, JsonConfigurationFileParser) does on Newtonsoft.Json: a StreamReader
//       that honours a byte order mark, a JsonTextReader with DateParseHandling.None, comments skipped
//       (JObject.Load in Newtonsoft.Json 9, which ASP.NET Core 1.x uses, ignores them), a property
//       repeated with the same spelling in one object replaces the earlier one (JObject.Load), the
//       values flattened to "section:key" paths (array items by index) into a case-insensitive
//       dictionary, where two paths equal ignoring case are "A duplicate key ... was found.".
// One process for every request keeps the stage fast (Mono starts in ~0.2 s).
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

public static class RtvsReader
{
    public static int Main(string[] args)
    {
        Thread.CurrentThread.CurrentCulture = CultureInfo.InvariantCulture;
        var input = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false)).ReadToEnd();
        var requests = JArray.Parse(input);
        var results = new JArray();
        foreach (JObject request in requests)
        {
            var kind = (string)request["kind"];
            JObject result;
            try
            {
                if (kind == "pfx")
                    result = Pfx((string)request["path"], (string)request["password"]);
                else if (kind == "config")
                    result = Config((string)request["path"]);
                else
                    result = Failure("unknown request kind " + kind);
            }
            catch (Exception e)
            {
                result = Failure(e.GetType().Name + ": " + e.Message);
            }
            result["kind"] = kind;
            result["path"] = request["path"];
            results.Add(result);
        }
        var output = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false));
        output.Write(results.ToString(Formatting.Indented));
        output.Flush();
        return 0;
    }

    static JObject Failure(string error)
    {
        var result = new JObject();
        result["ok"] = false;
        result["error"] = error;
        return result;
    }

    // ------------------------------------------------------------------ PFX

    static JObject Pfx(string path, string password)
    {
        var result = new JObject();
        // The broker: new X509Certificate2(file, password) (Security/Certificates.cs).
        result["constructor"] = Open(() => new X509Certificate2(path, password));
        result["constructor_exportable"] = Open(() => new X509Certificate2(path, password, X509KeyStorageFlags.Exportable));
        var collection = new JObject();
        try
        {
            var certificates = new X509Certificate2Collection();
            certificates.Import(path, password, X509KeyStorageFlags.Exportable);
            var order = new JArray();
            foreach (X509Certificate2 certificate in certificates)
                order.Add(Describe(certificate));
            collection["ok"] = true;
            collection["certificates"] = order;
        }
        catch (Exception e)
        {
            collection["ok"] = false;
            collection["error"] = e.GetType().Name + ": " + e.Message;
        }
        result["collection"] = collection;
        // Mono's X509Certificate2Collection.Import keeps only the certificate with the key; the bags
        // themselves, in file order, come from Mono.Security's PKCS#12 reader (the one Mono's
        // X509Certificate2 is built on).
        var bags = new JObject();
        try
        {
            var pkcs12 = new Mono.Security.X509.PKCS12(File.ReadAllBytes(path), password);
            var order = new JArray();
            foreach (Mono.Security.X509.X509Certificate certificate in pkcs12.Certificates)
                order.Add(certificate.SubjectName);
            bags["ok"] = true;
            bags["certificates"] = order;
            bags["keys"] = pkcs12.Keys.Count;
        }
        catch (Exception e)
        {
            bags["ok"] = false;
            bags["error"] = e.GetType().Name + ": " + e.Message;
        }
        result["bags"] = bags;
        result["ok"] = (bool)result["constructor"]["ok"] && (bool)result["constructor_exportable"]["ok"]
                       && (bool)collection["ok"] && (bool)bags["ok"];
        return result;
    }

    static JObject Open(Func<X509Certificate2> open)
    {
        var result = new JObject();
        try
        {
            var certificate = open();
            result = Describe(certificate);
            result["ok"] = true;
        }
        catch (Exception e)
        {
            result["ok"] = false;
            result["error"] = e.GetType().Name + ": " + e.Message;
        }
        return result;
    }

    static JObject Describe(X509Certificate2 certificate)
    {
        var result = new JObject();
        result["subject"] = certificate.Subject;
        result["issuer"] = certificate.Issuer;
        result["thumbprint"] = certificate.Thumbprint;
        result["has_private_key"] = certificate.HasPrivateKey;
        if (certificate.HasPrivateKey)
            result["sign_verify"] = SignVerify(certificate);
        return result;
    }

    static JToken SignVerify(X509Certificate2 certificate)
    {
        try
        {
            var data = Encoding.UTF8.GetBytes("rtvs.remote: the broker's TLS key signs this");
            var privateKey = (RSA)certificate.PrivateKey;
            byte[] signature;
            var provider = privateKey as RSACryptoServiceProvider;
            if (provider != null)
                signature = provider.SignData(data, "SHA256");
            else
                signature = privateKey.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            // verify with the certificate's public key only (a fresh object from the DER)
            var publicOnly = new X509Certificate2(certificate.RawData);
            var publicKey = (RSACryptoServiceProvider)publicOnly.PublicKey.Key;
            var good = publicKey.VerifyData(data, "SHA256", signature);
            signature[0] ^= 0xFF;
            var tampered = publicKey.VerifyData(data, "SHA256", signature);
            return good && !tampered;
        }
        catch (Exception e)
        {
            return e.GetType().Name + ": " + e.Message;
        }
    }

    // ------------------------------------------------------------------ configuration

    static JObject Config(string path)
    {
        var result = new JObject();
        IDictionary<string, string> data;
        try
        {
            using (var stream = File.OpenRead(path))
                data = Parse(stream);
        }
        catch (JsonReaderException e)
        {
            return Failure("JsonReaderException: " + e.Message);
        }
        catch (FormatException e)
        {
            return Failure("FormatException: " + e.Message);
        }
        var map = new JObject();
        foreach (var pair in data)
            map[pair.Key] = pair.Value;
        result["ok"] = true;
        result["data"] = map;
        return result;
    }

    // JsonConfigurationFileParser.Parse (Microsoft.Extensions.Configuration.Json 1.x)
    static IDictionary<string, string> Parse(Stream input)
    {
        var flat = new SortedDictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var reader = new JsonTextReader(new StreamReader(input));
        reader.DateParseHandling = DateParseHandling.None;
        var root = LoadObject(reader);
        Visit(root, new Stack<string>(), flat);
        return flat;
    }

    // A JObject.Load of Newtonsoft.Json 9 (CommentHandling.Ignore, a repeated name replaces), built on
    // the JsonTextReader tokens, so that Debian's older Newtonsoft.Json behaves like the broker's.
    static JObject LoadObject(JsonTextReader reader)
    {
        if (!ReadSkippingComments(reader) || reader.TokenType != JsonToken.StartObject)
            throw new JsonReaderException("Error reading JObject from JsonReader. Current JsonReader item is not an object: "
                                          + reader.TokenType);
        return (JObject)ReadValue(reader);
    }

    static bool ReadSkippingComments(JsonTextReader reader)
    {
        while (reader.Read())
            if (reader.TokenType != JsonToken.Comment)
                return true;
        return false;
    }

    static JToken ReadValue(JsonTextReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonToken.StartObject:
                var obj = new JObject();
                while (true)
                {
                    if (!ReadSkippingComments(reader))
                        throw new JsonReaderException("Unexpected end of content while loading JObject.");
                    if (reader.TokenType == JsonToken.EndObject)
                        return obj;
                    if (reader.TokenType != JsonToken.PropertyName)
                        throw new JsonReaderException("Unexpected token " + reader.TokenType + " in an object.");
                    var name = (string)reader.Value;
                    if (!ReadSkippingComments(reader))
                        throw new JsonReaderException("Unexpected end of content while loading JObject.");
                    var value = ReadValue(reader);
                    var existing = obj.Property(name);
                    if (existing != null)
                        existing.Value = value;
                    else
                        obj.Add(new JProperty(name, value));
                }
            case JsonToken.StartArray:
                var array = new JArray();
                while (true)
                {
                    if (!ReadSkippingComments(reader))
                        throw new JsonReaderException("Unexpected end of content while loading JArray.");
                    if (reader.TokenType == JsonToken.EndArray)
                        return array;
                    array.Add(ReadValue(reader));
                }
            case JsonToken.Integer:
            case JsonToken.Float:
            case JsonToken.String:
            case JsonToken.Boolean:
            case JsonToken.Null:
            case JsonToken.Bytes:
                return new JValue(reader.Value);
            default:
                throw new FormatException("Unsupported JSON token '" + reader.TokenType + "' was found. Path '"
                                          + reader.Path + "', line " + reader.LineNumber + " position " + reader.LinePosition + ".");
        }
    }

    static void Visit(JToken token, Stack<string> context, IDictionary<string, string> flat)
    {
        switch (token.Type)
        {
            case JTokenType.Object:
                foreach (var property in ((JObject)token).Properties())
                {
                    context.Push(property.Name);
                    Visit(property.Value, context, flat);
                    context.Pop();
                }
                break;
            case JTokenType.Array:
                var array = (JArray)token;
                for (var index = 0; index < array.Count; index++)
                {
                    context.Push(index.ToString(CultureInfo.InvariantCulture));
                    Visit(array[index], context, flat);
                    context.Pop();
                }
                break;
            default:
                var parts = context.ToArray();
                Array.Reverse(parts);
                var key = string.Join(":", parts);
                if (flat.ContainsKey(key))
                    throw new FormatException("A duplicate key '" + key + "' was found.");
                flat[key] = token.ToString();
                break;
        }
    }
}
