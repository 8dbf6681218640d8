package org.lwm2mfleet.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import javax.net.ssl.SSLContext;

/**
 * HTTP/1.1 written by hand on a socket, for what {@code java.net.http} will not send (a bad Content-Length, a
 * request line of 20 KiB, a body at 1 byte/s) or cannot (a source address other than 127.0.0.1).
 */
final class RawHttp {

    /** An answer: status, headers as received, body. */
    record Answer(int status, String head, String body) {
        String header(String name) {
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).strip();
                }
            }
            return null;
        }
    }

    private RawHttp() {
    }

    /** Sends {@code request} as it is from {@code from} to 127.0.0.1:port and reads the answer to its end. */
    static Answer exchange(InetAddress from, int port, SSLContext tls, String request) throws IOException {
        try (Socket socket = open(from, port, tls)) {
            socket.setSoTimeout(15_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            return read(socket.getInputStream());
        }
    }

    static Socket open(InetAddress from, int port, SSLContext tls) throws IOException {
        Socket plain = new Socket();
        plain.bind(new InetSocketAddress(from, 0));
        plain.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5_000);
        if (tls == null) {
            return plain;
        }
        return tls.getSocketFactory().createSocket(plain, "127.0.0.1", port, true);
    }

    /** One answer: the head, then a Content-Length body, a chunked one, or up to the close. */
    static Answer read(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != -1) {
            head.write(b);
            byte[] h = head.toByteArray();
            int n = h.length;
            if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') {
                break;
            }
        }
        String headText = head.toString(StandardCharsets.ISO_8859_1);
        if (headText.isEmpty()) {
            throw new IOException("closed without an answer");
        }
        int status = Integer.parseInt(headText.split(" ", 3)[1]);
        Answer partial = new Answer(status, headText, "");
        String length = partial.header("Content-Length");
        byte[] body;
        if (length != null) {
            body = in.readNBytes(Integer.parseInt(length));
        } else if ("chunked".equalsIgnoreCase(partial.header("Transfer-Encoding"))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            while (true) {
                String size = line(in);
                int chunk = Integer.parseInt(size.split(";")[0].strip(), 16);
                if (chunk == 0) {
                    line(in);
                    break;
                }
                out.write(in.readNBytes(chunk));
                line(in);
            }
            body = out.toByteArray();
        } else {
            body = in.readAllBytes();
        }
        return new Answer(status, headText, new String(body, StandardCharsets.UTF_8));
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int b;
        while ((b = in.read()) != -1 && b != '\n') {
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.toString();
    }
}
