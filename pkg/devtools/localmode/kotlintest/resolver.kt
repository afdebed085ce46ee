// ContentResolver and AssetFileDescriptor stubs (see android.kt).
package android.content

import android.content.res.AssetFileDescriptor
import android.net.Uri
import java.io.File
import java.io.FileNotFoundException
import java.io.InputStream

/** Serves [file] for [uri], typed [type], as a document provider would. */
open class ContentResolver(private val uri: Uri, private val file: File, private val type: String?) {
    private fun check(u: Uri) {
        if (u.toString() != uri.toString()) throw FileNotFoundException("no content at $u")
    }

    fun getType(u: Uri): String? {
        check(u)
        return type
    }

    fun openAssetFileDescriptor(u: Uri, mode: String): AssetFileDescriptor? {
        check(u)
        require(mode == "r") { "mode $mode" }
        return AssetFileDescriptor(file.length())
    }

    fun openInputStream(u: Uri): InputStream? {
        check(u)
        return file.inputStream()
    }
}
