// Runs README.md's upload function once: main(broker, token, file, type)
// uploads file as a content:// URI typed type ("" for none) and prints the
// stored key and the verdict; an exception exits non-zero with its message.
import android.content.ContentResolver
import android.net.Uri
import java.io.File
import kotlin.system.exitProcess
import okhttp3.OkHttpClient

fun main(args: Array<String>) {
    val (broker, token, path, type) = args
    val uri = Uri.parse("content://com.android.providers.media.documents/document/image%3A1000")
    val resolver = ContentResolver(uri, File(path), type.ifEmpty { null })
    try {
        val up = upload(OkHttpClient(), resolver, uri, broker, token)
        println("key=${up.key} verdict=${up.verdict}")
    } catch (e: Exception) {
        System.err.println("upload failed: $e")
        exitProcess(1)
    }
}
